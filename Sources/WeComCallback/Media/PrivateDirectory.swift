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
        let candidate = freePath(for: name)
        guard FileManager.default.createFile(atPath: candidate, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw .file("cannot write into the private media directory")
        }
        return candidate
    }

    /// Where a download is written before it is named (``MediaFile/adopt(_:size:serverType:fileName:fallbackName:in:)``):
    /// a hidden name no media file gets (``safeFileName(_:fallback:)`` drops leading dots).
    var partialPath: String { path + "/.download" }

    /// The path of `name` in the directory, numbered (`2-name`, …) when taken.
    func freePath(for name: String) -> String {
        var candidate = path + "/" + name
        var n = 1
        while FileManager.default.fileExists(atPath: candidate) {
            n += 1
            candidate = path + "/\(n)-" + name
        }
        return candidate
    }

    /// A file name that is safe in a path and a multipart header: the last path component of `name`,
    /// only ASCII letters, digits, `.`, `_` and `-` kept, no leading dot, at most 100 bytes. When no
    /// base name is left (`照片.jpg`), the base of `fallback` with the name's own extension (`media.jpg`);
    /// `fallback` when nothing at all is left.
    static func safeFileName(_ name: String?, fallback: String) -> String {
        // Leading dots first: `.bashrc` is a name, not an extension.
        let last = String((name?.split(separator: "/").last ?? "").drop(while: { $0 == "." }))
        let keep: (String) -> String = { text in
            String(text.unicodeScalars.filter {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "_" || $0 == "-")
            }.map(Character.init))
        }
        var base = last, ext = ""
        if let dot = last.lastIndex(of: ".") {
            base = String(last[..<dot])
            ext = keep(String(last[last.index(after: dot)...]))
        }
        var kept = keep(base)
        while kept.hasPrefix(".") { kept.removeFirst() }
        if kept.isEmpty, !ext.isEmpty {
            let fallbackBase = fallback.lastIndex(of: ".").map { String(fallback[..<$0]) } ?? fallback
            kept = fallbackBase.isEmpty ? "media" : fallbackBase
        }
        if !ext.isEmpty { kept += "." + ext }
        while kept.hasPrefix(".") { kept.removeFirst() }
        if kept.utf8.count > 100 { kept = String(kept.suffix(100)) }
        return kept.isEmpty ? fallback : kept
    }
}
