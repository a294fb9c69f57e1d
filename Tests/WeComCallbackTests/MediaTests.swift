import Foundation
import Testing
@testable import WeComCallback

/// The pure parts of media for exec programs (issue 14): the bot media cipher against vectors made by
/// the `cryptography` package, the confinement of a reply's `File`, names and types, error texts, and the configuration keys. The transfers themselves are tested in Tests/Python/test_media.py.
@Suite struct MediaTests {
    /// The fixtures' bot EncodingAESKey (Tests/Python/bot_crypto.py) decoded: 32 bytes.
    static let botKey = bytes(hex: "916c4f115d94103cb15a998f74a0b71787603c398ebdf297d471a71140d2d5a4")

    @Test func botMediaDecryptsVectorsOfAnIndependentImplementation() throws {
        // encrypt_media() of Tests/Python/test_media.py: AES-256-CBC, IV = key[:16], PKCS#7 to 32, no frame.
        let one = bytes(hex: "149ddbf7f2e318ee03fbfe6c30b7130c2f1708e8df765a7d6de3ccd3b1790928")
        #expect(try BotMediaCipher.decrypt(one, key: Self.botKey) == Array("wecom-fcgi bot media vector\n".utf8))
        // 32 bytes of plaintext: a whole block of padding (32 × 0x20) follows.
        let two = bytes(hex: "3ed11ffea121f98ed812aa9b658f3c1ca0a3d23e3b1726b379675a00a4336a0571321d2969e29a985e864c3da3301918e736b512a57f444beb9d410be8cb07b9")
        #expect(try BotMediaCipher.decrypt(two, key: Self.botKey) == [UInt8](repeating: UInt8(ascii: "A"), count: 32))
    }

    @Test func botMediaThatDoesNotDecryptIsAnError() {
        let one = bytes(hex: "149ddbf7f2e318ee03fbfe6c30b7130c2f1708e8df765a7d6de3ccd3b1790928")
        #expect(throws: MediaError.decryptFailed("31 bytes is not a whole number of AES blocks")) {
            try BotMediaCipher.decrypt(Array(one.dropLast()), key: Self.botKey)
        }
        #expect(throws: MediaError.decryptFailed("0 bytes is not a whole number of AES blocks")) {
            try BotMediaCipher.decrypt([], key: Self.botKey)
        }
        var wrongKey = Self.botKey
        wrongKey[31] ^= 1  // another key: the plaintext is noise whose padding is invalid
        #expect(throws: MediaError.decryptFailed("bad padding")) { try BotMediaCipher.decrypt(one, key: wrongKey) }
    }

    @Test func aReplyFileMustStayInsideTheOutputDirectory() throws {
        let root = try RT.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("png".utf8).write(to: URL(fileURLWithPath: out + "/a.png"))
        try Data("secret".utf8).write(to: root.appendingPathComponent("outside.txt"))
        try FileManager.default.createDirectory(atPath: out + "/sub", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: out + "/empty.png"))
        try FileManager.default.createSymbolicLink(atPath: out + "/link.png", withDestinationPath: root.path + "/outside.txt")
        try FileManager.default.createSymbolicLink(atPath: out + "/inner.png", withDestinationPath: out + "/a.png")
        // A sibling whose name starts with the directory's: a plain prefix check would let it through.
        try FileManager.default.createDirectory(atPath: out + "-evil", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: out + "-evil/x.png"))

        let real = try #require(OutputFile.realPath(out))
        #expect(try OutputFile.resolve("a.png", in: out, maxBytes: 100) == (real + "/a.png", 3))
        #expect(try OutputFile.resolve(out + "/a.png", in: out, maxBytes: 100).path == real + "/a.png")
        #expect(try OutputFile.resolve("sub/../a.png", in: out, maxBytes: 100).path == real + "/a.png")
        #expect(try OutputFile.resolve("inner.png", in: out, maxBytes: 100).path == real + "/a.png")
        let refused: [(String, MediaError)] = [
            ("../outside.txt", .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR")),
            (root.path + "/outside.txt", .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR")),
            ("link.png", .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR")),
            ("../out-evil/x.png", .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR")),
            ("/etc/passwd", .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR")),
            ("sub", .outsideOutputDirectory("not a regular file")),
            ("empty.png", .outsideOutputDirectory("empty file")),
            ("missing.png", .outsideOutputDirectory("no such file")),
            (".", .outsideOutputDirectory("not inside WECOM_OUTPUT_DIR")),
            ("", .outsideOutputDirectory("empty path")),
        ]
        for (path, error) in refused {
            #expect(throws: error, "\(path)") { try OutputFile.resolve(path, in: out, maxBytes: 100) }
        }
        #expect(throws: MediaError.tooLarge(limit: 2)) { try OutputFile.resolve("a.png", in: out, maxBytes: 2) }
    }

    @Test func namesTypesAndHeaders() {
        #expect(PrivateDirectory.safeFileName("../../etc/pass wd", fallback: "f") == "passwd")
        #expect(PrivateDirectory.safeFileName("..hidden", fallback: "f") == "hidden")
        // A name with nothing ASCII before its extension keeps the extension (issue 14, L3).
        #expect(PrivateDirectory.safeFileName("照片.jpg", fallback: "media") == "media.jpg")
        #expect(PrivateDirectory.safeFileName("照片.jpg", fallback: "image-1.png") == "image-1.jpg")
        #expect(PrivateDirectory.safeFileName("报告 v2.pdf", fallback: "media") == "v2.pdf")
        #expect(PrivateDirectory.safeFileName(".bashrc", fallback: "f") == "bashrc")
        #expect(PrivateDirectory.safeFileName("照片", fallback: "media.bin") == "media.bin")
        #expect(PrivateDirectory.safeFileName(nil, fallback: "media.png") == "media.png")
        #expect(PrivateDirectory.safeFileName("...", fallback: "media") == "media")
        #expect(CurlTransfer.fileName(fromContentDisposition: "attachment; filename=\"photo.jpg\"") == "photo.jpg")
        #expect(CurlTransfer.fileName(fromContentDisposition: "attachment;filename=a.amr") == "a.amr")
        #expect(CurlTransfer.fileName(fromContentDisposition: "inline") == nil)
        #expect(MediaFile.sniffedType([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == "image/png")
        #expect(MediaFile.sniffedType([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(MediaFile.sniffedType(Array("#!AMR\n".utf8)) == "audio/amr")
        #expect(MediaFile.sniffedType(Array("hello".utf8)) == nil)
    }

    /// Only a `type/subtype` of token characters becomes `WECOM_MEDIA_TYPE` (issue 14, L7).
    @Test func aServersContentTypeIsTakenOnlyWhenItIsAMIMEType() {
        #expect(MediaFile.mimeType("Image/PNG; charset=binary") == "image/png")
        #expect(MediaFile.mimeType("application/vnd.ms-excel") == "application/vnd.ms-excel")
        for bad in ["", "image", "image/", "/png", "image/png\r\nX-Evil: 1", "image/p ng", "image/png/x", "text/\u{7F}", "图片/png", "image/" + String(repeating: "x", count: 20000)] {
            #expect(MediaFile.mimeType(bad) == nil, "\(bad.debugDescription)")
        }
        #expect(MediaFile.type(of: Array("hi".utf8), serverType: "text/plain\nEVIL=1") == "application/octet-stream")
        #expect(MediaFile.type(of: [0xFF, 0xD8, 0xFF], serverType: "text/plain") == "image/jpeg")
    }

    /// The log texts: an oversized upload answer is not called oversized media (L2); WeCom's errmsg is
    /// capped and escaped (L1); shutdown and the token deadline say what happened.
    @Test func errorTextsSayWhatWasWrong() {
        #expect(MediaError.answerTooLarge(limit: 65536).description == "media/upload answer too large (over 65536 bytes)")
        #expect(MediaError.cancelled.description == "media transfer cancelled: the server is shutting down")
        let long = String(repeating: "x", count: 500)
        let text = MediaError.api(.api(errcode: 40007, errmsg: "bad\nINFO forged " + long)).description
        #expect(text.hasPrefix("WeCom media API: errcode=40007 errmsg=\"bad\\u{a}INFO forged xxx"))
        #expect(!text.contains("\n") && text.count < 260 && text.hasSuffix("…\""))
        #expect(MediaError.api(.tokenUnavailable(AccessTokenCache.deadlineReason)).description
            == "WeCom media API: no access token: not had within the route's timeout_ms")
    }

    @Test func storedMediaAreDescribedAndPrivate() throws {
        let directory = try #require(PrivateDirectory.make(prefix: "wecom-test"))
        defer { directory.remove() }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
        let first = try MediaFile.store(png, serverType: "application/octet-stream", fileName: nil, fallbackName: "image-1", in: directory)
        #expect(first == MediaFile(path: directory.path + "/image-1.png", contentType: "image/png", size: 11))
        let second = try MediaFile.store(Array("abc".utf8), serverType: "text/plain; charset=utf-8", fileName: "n.txt", fallbackName: "x", in: directory)
        #expect(second.contentType == "text/plain" && second.path == directory.path + "/n.txt")
        let again = try MediaFile.store(Array("abc".utf8), serverType: nil, fileName: "n.txt", fallbackName: "x", in: directory)
        #expect(again.path == directory.path + "/2-n.txt" && again.contentType == "application/octet-stream")
        let fileMode = try FileManager.default.attributesOfItem(atPath: again.path)[.posixPermissions] as? NSNumber
        #expect(fileMode?.intValue == 0o600)
        #expect(first.environment == ["WECOM_MEDIA_FILE": first.path, "WECOM_MEDIA_TYPE": "image/png", "WECOM_MEDIA_SIZE": "11"])
        directory.remove()
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func aBotProgramThatTriesToSendAFileIsToldWhy() {
        let reply = Array(#"{"msgtype":"file","file":{"media_id":"x"}}"#.utf8)
        guard case .failure(let error) = BotExecAction.interpret(reply) else {
            Issue.record("a file reply was accepted")
            return
        }
        #expect(error.reason == "msgtype file: an AI bot cannot send files; leave JPG/PNG images in WECOM_OUTPUT_DIR, or reply a stream")
    }

    func problems(_ toml: String) -> [String] {
        do {
            return try Configuration.parse(toml, environment: RT.secrets).warnings.map(\.description)
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func checkConfigRefusesMediaWhereItCannotWork() throws {
        let app = "[[app]]\nname = \"a\"\n"
        let exec = "[[app.route]]\naction = \"exec\"\ncommand = [\"/bin/cat\"]\nmedia = \"download\"\n"
        #expect(problems(app + exec) == [
            "app[0].route[0].media: \"download\" fetches media through the WeCom API (media/get): give the app corp_secret, corp_secret_env or corp_secret_file (line 6)",
        ])
        #expect(problems(app + "corp_secret = \"s\"\n" + exec).isEmpty)
        // A corp_secret_env whose variable is not set is reported once, at the key, not again by the route.
        #expect(problems(app + "corp_secret_env = \"NO_SUCH_SECRET_VARIABLE\"\n" + exec) == [
            "app[0].corp_secret_env: environment variable NO_SUCH_SECRET_VARIABLE is not set (line 3)",
        ])
        let config = try Configuration.parse(app + "corp_secret = \"s\"\n" + exec, environment: RT.secrets)
        #expect((config.apps[0].routes[0].action as? ExecAction)?.downloadMedia == true)
        #expect(problems(app + "corp_secret = \"s\"\n[[app.route]]\naction = \"echo\"\nmedia = \"download\"\n") == [
            "app[0].route[0].media: not used by action \"echo\" (line 6)",
        ])
        #expect(problems(app + "corp_secret = \"s\"\n[[app.route]]\naction = \"exec\"\ncommand = [\"/bin/cat\"]\nmedia = \"upload\"\n") == [
            "app[0].route[0].media: must be \"download\" or \"none\" (line 7)",
        ])
        #expect(problems("[server]\nmax_media_bytes = 10\n" + app + "[[app.route]]\naction = \"echo\"\n") == [
            "server.max_media_bytes: must be between 1024 and 209715200 bytes (line 2)",
        ])
        let server = try Configuration.parse("[server]\nmax_media_bytes = 104857600\n" + app + "[[app.route]]\naction = \"echo\"\n",
                                             environment: RT.secrets)
        #expect(server.server.maxMediaBytes == 100 << 20)
        #expect(try Configuration.parse(app + "[[app.route]]\naction = \"echo\"\n", environment: RT.secrets).server.maxMediaBytes == 20 << 20)
    }
}
