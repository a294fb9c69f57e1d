import Foundation

/// The confinement of a reply's `File` to the program's own `WECOM_OUTPUT_DIR`.
enum OutputFile {
    /// Resolves `path` (absolute, or relative to `directory`) with `realpath` and accepts it only when
    /// the result is a regular, non-empty file strictly inside `directory` (also resolved): `..`, a
    /// symbolic link pointing out, a directory or a device is refused.
    /// - Parameters:
    ///   - path: the reply's `File`.
    ///   - directory: the run's `WECOM_OUTPUT_DIR`.
    ///   - maxBytes: the largest file accepted (`[server] max_media_bytes`).
    /// - Returns: the resolved path and the file's size in bytes.
    /// - Throws: ``MediaError/outsideOutputDirectory(_:)``, or ``MediaError/tooLarge(limit:)``.
    static func resolve(_ path: String, in directory: String, maxBytes: Int) throws(MediaError) -> (path: String, size: Int) {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw .outsideOutputDirectory("empty path") }
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        guard let root = realPath(directory) else { throw .outsideOutputDirectory("WECOM_OUTPUT_DIR is gone") }
        guard let resolved = realPath(joined) else { throw .outsideOutputDirectory("no such file") }
        guard resolved.hasPrefix(root + "/") else { throw .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR") }
        var info = stat()
        guard stat(resolved, &info) == 0 else { throw .outsideOutputDirectory("no such file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .outsideOutputDirectory("not a regular file") }
        guard info.st_size > 0 else { throw .outsideOutputDirectory("empty file") }
        guard info.st_size <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        return (resolved, Int(info.st_size))
    }

    /// `realpath(3)`, or `nil` when the path does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
