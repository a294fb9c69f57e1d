import Foundation

/// A fresh directory only the server's user can enter (mode 0700, `mkdtemp` under `$TMPDIR` or
/// `/tmp`), made for one program run: its `WECOM_OUTPUT_DIR`, or the media files it is given. The
/// owner removes it with everything in it (``remove()``) when the program has ended, also after a
/// timeout or a kill.
struct PrivateDirectory: Sendable, Equatable {
    /// The absolute path.
    let path: String

    /// Creates a directory `<tmp>/<prefix>-XXXXXX`.
    /// - Parameter prefix: e.g. `wecom-out`.
    /// - Returns: the directory, or `nil` when it cannot be created.
    static func make(prefix: String) -> PrivateDirectory? {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
        let made: String? = template.withUnsafeMutableBufferPointer { buffer in
            guard let start = buffer.baseAddress, mkdtemp(start) != nil else { return nil }
            return String(cString: start)
        }
        return made.map(PrivateDirectory.init(path:))
    }

    /// Removes the directory and everything in it (errors ignored: it may be gone already).
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `bytes` to a new file (mode 0600) in the directory.
    /// - Parameters:
    ///   - bytes: the content.
    ///   - name: a file name; made safe by ``safeFileName(_:fallback:)``, and numbered when taken.
    /// - Returns: the file's absolute path.
    /// - Throws: ``MediaError/file(_:)`` when it cannot be written.
    func write(_ bytes: [UInt8], name: String) throws(MediaError) -> String {
        var candidate = path + "/" + name
        var n = 1
        while FileManager.default.fileExists(atPath: candidate) {
            n += 1
            candidate = path + "/\(n)-" + name
        }
        guard FileManager.default.createFile(atPath: candidate, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw .file("cannot write into the private media directory")
        }
        return candidate
    }

    /// A file name that is safe in a path and a multipart header: the last path component of `name`,
    /// only ASCII letters, digits, `.`, `_` and `-` kept, no leading dot, at most 100 bytes; `fallback`
    /// when nothing is left.
    static func safeFileName(_ name: String?, fallback: String) -> String {
        let last = name?.split(separator: "/").last.map(String.init) ?? ""
        var kept = String(last.unicodeScalars.filter {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "_" || $0 == "-")
        }.map(Character.init))
        while kept.hasPrefix(".") { kept.removeFirst() }
        if kept.utf8.count > 100 { kept = String(kept.suffix(100)) }
        return kept.isEmpty ? fallback : kept
    }
}
