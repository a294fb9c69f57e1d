import Foundation

/// An HTTP response as curl received it.
struct HTTPResult {
    /// The status code (e.g. 200).
    var status: Int
    /// Header lines of the final response, names lower-cased.
    var headers: [(name: String, value: String)]
    /// The body bytes, exactly.
    var body: [UInt8]

    /// The first header called `name` (case-insensitive).
    func header(_ name: String) -> String? {
        headers.first { $0.name == name.lowercased() }?.value
    }
}

/// curl failed before an HTTP status arrived (connection refused, timeout, bad URL …).
struct CurlFailure: Error, CustomStringConvertible {
    let description: String
}

/// Sends requests with a `curl` subprocess (no HTTP stack of our own) and prints equivalent commands.
enum Curl {
    /// The shell command that sends a request, single-quoted for POSIX shells.
    /// - Parameters:
    ///   - method: HTTP method; `-X` is written only when curl would not choose it itself.
    ///   - url: the full URL including the query.
    ///   - bodyFile: the file holding the body, or `nil` for none.
    ///   - contentType: the body's media type (`text/xml` for apps, `application/json` for AI bots).
    /// - Returns: one line, e.g. `curl -sS -H 'Content-Type: text/xml' --data-binary @/tmp/b.xml 'http://…'`.
    static func command(method: String, url: String, bodyFile: String?, contentType: String = "text/xml") -> String {
        var words = ["curl", "-sS"]
        if method != (bodyFile == nil ? "GET" : "POST") { words += ["-X", method] }
        if let bodyFile { words += ["-H", "Content-Type: " + contentType, "--data-binary", "@" + bodyFile] }
        words.append(url)
        return words.map(Shell.quote).joined(separator: " ")
    }

    /// Sends one request and waits for the whole response.
    /// - Parameters:
    ///   - method: HTTP method.
    ///   - url: the full URL including the query.
    ///   - body: the body, sent as `contentType`; `nil` sends none.
    ///   - timeout: seconds for the whole exchange (`--max-time`).
    ///   - contentType: the body's media type (default `text/xml`).
    /// - Returns: status, headers and body.
    /// - Throws: ``CurlFailure`` when curl cannot be run or reports an error.
    static func send(method: String, url: String, body: [UInt8]?, timeout: Double, contentType: String = "text/xml") throws -> HTTPResult {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("wecom-fcgi-curl-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bodyOut = directory.appendingPathComponent("body").path
        let headersOut = directory.appendingPathComponent("headers").path

        var arguments = ["curl", "-sS", "-g", "--max-time", String(timeout), "-o", bodyOut, "-D", headersOut,
                         "-w", "%{http_code}", "-X", method, "-H", "Expect:"]
        if let body {
            let bodyIn = directory.appendingPathComponent("request").path
            guard FileManager.default.createFile(atPath: bodyIn, contents: Data(body)) else {
                throw CurlFailure(description: "cannot write a temporary file in \(directory.path)")
            }
            arguments += ["-H", "Content-Type: " + contentType, "--data-binary", "@" + bodyIn]
        }
        arguments.append(url)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CurlFailure(description: "cannot run curl: \(error.localizedDescription)")
        }
        let statusText = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let why = errorText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw CurlFailure(description: why.isEmpty ? "curl exited with \(process.terminationStatus)" : why)
        }
        guard let status = Int(statusText.trimmingCharacters(in: .whitespacesAndNewlines)), status > 0 else {
            throw CurlFailure(description: "no HTTP status from curl")
        }
        let responseBody = FileManager.default.contents(atPath: bodyOut).map { Array($0) } ?? []
        let headerText = FileManager.default.contents(atPath: headersOut).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return HTTPResult(status: status, headers: parseHeaders(headerText), body: responseBody)
    }

    /// The header lines of the last response block in a `curl -D` dump.
    static func parseHeaders(_ text: String) -> [(name: String, value: String)] {
        let blocks = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        guard let last = blocks.last else { return [] }
        return last.split(separator: "\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }
}

/// POSIX shell quoting.
enum Shell {
    /// `text` unchanged when it is made of safe characters only, else in single quotes (`'` as `'\''`).
    static func quote(_ text: String) -> String {
        let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./:@=%,+")
        if !text.isEmpty && text.allSatisfy({ safe.contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
