import Foundation

/// A media file handed to a program: downloaded (and for AI bots decrypted) into a private
/// directory before the program starts, deleted when it ends.
///
/// The program sees it in its environment (`WECOM_MEDIA_FILE`, `WECOM_MEDIA_TYPE`, `WECOM_MEDIA_SIZE`:
/// the first file) and on stdin: for apps as `"MediaFile":{"Path","ContentType","Size"}` beside the XML
/// fields (strings, like them), for AI bots as `"media_files":[{"path","content_type","size"}]`
/// in message order (``size`` a number, like the bot JSON's own numbers).
struct MediaFile: Sendable, Equatable {
    /// The file's absolute path.
    var path: String
    /// The MIME type: sniffed from the bytes when they are a known format, else the server's
    /// `Content-Type`, else `application/octet-stream`.
    var contentType: String
    /// The size in bytes.
    var size: Int

    /// The environment variables for the first file of a run.
    var environment: [String: String] {
        ["WECOM_MEDIA_FILE": path, "WECOM_MEDIA_TYPE": contentType, "WECOM_MEDIA_SIZE": String(size)]
    }

    /// The app form on stdin (`MediaFile`): every value a string, like the XML fields.
    var appJSON: [String: Any] {
        ["Path": path, "ContentType": contentType, "Size": String(size)]
    }

    /// The MIME type of well-known formats from their first bytes, or `nil`.
    /// - Parameter bytes: the file's content.
    static func sniffedType(_ bytes: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF8".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        if starts(Array("BM".utf8)) && bytes.count > 14 { return "image/bmp" }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        if starts(Array("#!AMR".utf8)) { return "audio/amr" }
        if starts(Array("ftyp".utf8), at: 4) { return "video/mp4" }
        return nil
    }

    /// The usual file name extension of a MIME type (`.png`), or `""`.
    static func fileExtension(for contentType: String) -> String {
        switch contentType {
        case "image/png": return ".png"
        case "image/jpeg": return ".jpg"
        case "image/gif": return ".gif"
        case "image/webp": return ".webp"
        case "image/bmp": return ".bmp"
        case "application/pdf": return ".pdf"
        case "audio/amr": return ".amr"
        case "video/mp4": return ".mp4"
        default: return ""
        }
    }

    /// The MIME type of a `Content-Type` header: `type/subtype` (RFC 9110 tokens, at most 255 bytes),
    /// lowercased, without parameters; `nil` for anything else (empty, a control character, a missing `/` …).
    /// - Parameter header: the header's value, e.g. `image/png; charset=binary`.
    static func mimeType(_ header: String?) -> String? {
        guard let header, let first = header.split(separator: ";", omittingEmptySubsequences: false).first else { return nil }
        let type = first.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        let token: (Substring) -> Bool = { part in
            !part.isEmpty && part.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
        guard type.utf8.count <= 255, parts.count == 2, token(parts[0]), token(parts[1]) else { return nil }
        return type
    }

    /// The type of a file: sniffed from its first bytes, else the server's ``mimeType(_:)``, else
    /// `application/octet-stream`.
    static func type(of head: [UInt8], serverType: String?) -> String {
        sniffedType(head) ?? mimeType(serverType) ?? "application/octet-stream"
    }

    /// Stores bytes in `directory` and describes them.
    /// - Parameters:
    ///   - bytes: the content.
    ///   - serverType: the server's `Content-Type`, if any.
    ///   - fileName: the server's file name (`Content-Disposition`), if any.
    ///   - fallbackName: the name without one (an extension from the type is added).
    ///   - directory: the run's private media directory.
    /// - Throws: ``MediaError/file(_:)``.
    static func store(_ bytes: [UInt8], serverType: String?, fileName: String?, fallbackName: String,
                      in directory: PrivateDirectory) throws(MediaError) -> MediaFile {
        let type = type(of: Array(bytes.prefix(16)), serverType: serverType)
        let name = PrivateDirectory.safeFileName(fileName, fallback: fallbackName + fileExtension(for: type))
        let path = try directory.write(bytes, name: name)
        return MediaFile(path: path, contentType: type, size: bytes.count)
    }

    /// Gives a downloaded file (``PrivateDirectory/partialPath``) its name and describes it.
    /// - Parameters:
    ///   - partial: the downloaded file.
    ///   - size: its size in bytes.
    ///   - serverType: the server's `Content-Type`, if any.
    ///   - fileName: the server's file name (`Content-Disposition`), if any.
    ///   - fallbackName: the name without one (an extension from the type is added).
    ///   - directory: the run's private media directory.
    /// - Throws: ``MediaError/file(_:)``.
    static func adopt(_ partial: String, size: Int, serverType: String?, fileName: String?, fallbackName: String,
                      in directory: PrivateDirectory) throws(MediaError) -> MediaFile {
        let head = FileHandle(forReadingAtPath: partial).flatMap { try? $0.read(upToCount: 16) }.map { [UInt8]($0) } ?? []
        let type = type(of: head, serverType: serverType)
        let name = PrivateDirectory.safeFileName(fileName, fallback: fallbackName + fileExtension(for: type))
        let path = directory.freePath(for: name)
        guard rename(partial, path) == 0 else { throw .file("cannot name the downloaded media") }
        return MediaFile(path: path, contentType: type, size: size)
    }
}
