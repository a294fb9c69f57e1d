import Foundation

/// The rules of one streamed chat completion, as a value type: the transport hands it the status and
/// the body chunks, it says which deltas arrived and, at the end, what the answer (or the failure) is.
///
/// - A 200 body is read as server-sent events (``ServerSentEventParser``): each `data:` is a chat
///   completion chunk (`choices[0].delta.content`, `choices[0].delta.reasoning_content` or `reasoning`,
///   `choices[0].finish_reason`) until `data: [DONE]`; a chunk without choices (usage) is skipped; a
///   chunk that is not JSON, or that carries `error`, fails the stream.
/// - Any other status keeps the first ``maxErrorBodyBytes`` of the body for the server's message
///   (`error.message`, `error` or `message` of a JSON body, else its text).
/// - The answer is complete at `[DONE]`, or at the end of the body after a `finish_reason`; content
///   past ``maxContentBytes`` ends it too (the transport may then stop reading).
public struct ChatCompletionStream: Sendable {
    /// The most of a non-200 body kept for its message, in bytes.
    public static let maxErrorBodyBytes = 16384
    /// The most answer text kept, in UTF-8 bytes (content and reasoning each).
    public static let maxContentBytes = 65536
    /// The most of a server's error message kept for the log line, in characters.
    public static let maxMessageCharacters = 200

    /// The HTTP status, once the response head came.
    public private(set) var status: Int?
    /// The answer so far.
    public private(set) var completion = ChatCompletion()
    private var parser = ServerSentEventParser()
    private var errorBody: [UInt8] = []
    private var done = false
    private var failure: LLMError?
    private var contentBytes = 0
    private var reasoningBytes = 0

    public init() {}

    /// Whether nothing more will be read: `[DONE]`, the content cap, or a failure.
    public var isFinished: Bool { done || failure != nil }

    /// The response head arrived.
    /// - Parameter status: the HTTP status code.
    public mutating func receive(status: Int) {
        self.status = status
    }

    /// A chunk of the body arrived.
    /// - Parameter bytes: the chunk.
    /// - Returns: the non-empty deltas it completed, in order (none once ``isFinished``).
    public mutating func receive(_ bytes: some Sequence<UInt8>) -> [ChatDelta] {
        guard !isFinished else { return [] }
        guard status == 200 else {
            for byte in bytes where errorBody.count < Self.maxErrorBodyBytes { errorBody.append(byte) }
            return []
        }
        var deltas: [ChatDelta] = []
        for event in parser.feed(bytes) {
            guard !isFinished else { break }
            if let delta = handle(event) { deltas.append(delta) }
        }
        return deltas
    }

    /// The body ended (or the transport failed).
    /// - Parameter transportError: the transport's reason, if it failed.
    /// - Returns: the whole answer, or why there is none.
    public mutating func end(transportError: String? = nil) -> Result<ChatCompletion, LLMError> {
        if let failure { return .failure(failure) }
        if !done, let transportError { return .failure(status == nil ? .connection(transportError) : .truncated) }
        guard let status else { return .failure(.connection(transportError ?? "no response")) }
        guard status == 200 else { return .failure(.status(status, message: Self.message(fromErrorBody: errorBody))) }
        if !done {
            _ = parser.finish()
            guard completion.finishReason != nil else { return .failure(.truncated) }
        }
        guard !completion.content.isEmpty else { return .failure(.emptyAnswer) }
        return .success(completion)
    }

    private mutating func handle(_ event: ServerSentEvent) -> ChatDelta? {
        let data = event.data.trimmingCharacters(in: .whitespaces)
        if data == "[DONE]" {
            done = true
            return nil
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] else {
            failure = .malformedEvent("data is not a JSON object (\(data.utf8.count) bytes)")
            return nil
        }
        if let error = object["error"] {
            failure = .malformedEvent("the stream carried an error: \(Self.message(fromJSONError: error) ?? "")")
            return nil
        }
        guard let choices = object["choices"] as? [Any] else {
            failure = .malformedEvent("a chunk without choices")
            return nil
        }
        guard let choice = choices.first as? [String: Any] else { return nil }  // a usage-only chunk
        if let reason = choice["finish_reason"] as? String { completion.finishReason = reason }
        let delta = choice["delta"] as? [String: Any] ?? [:]
        var piece = ChatDelta(content: delta["content"] as? String ?? "",
                              reasoning: delta["reasoning_content"] as? String ?? delta["reasoning"] as? String ?? "")
        piece.content = Self.cut(piece.content, used: &contentBytes)
        piece.reasoning = Self.cut(piece.reasoning, used: &reasoningBytes)
        if contentBytes >= Self.maxContentBytes { done = true }
        guard !piece.content.isEmpty || !piece.reasoning.isEmpty else { return nil }
        completion.content += piece.content
        completion.reasoning += piece.reasoning
        completion.deltas += 1
        return piece
    }

    /// `text`, or as much of it as fits under ``maxContentBytes`` (whole characters).
    private static func cut(_ text: String, used: inout Int) -> String {
        let room = maxContentBytes - used
        guard text.utf8.count > room else {
            used += text.utf8.count
            return text
        }
        var kept = ""
        for character in text {
            let size = character.utf8.count
            guard size <= room - kept.utf8.count else { break }
            kept.append(character)
        }
        used = maxContentBytes
        return kept
    }

    /// The server's message in an error body: `error.message`, `error` (a string), `message`, `detail`,
    /// else the body's text; on one line, at most ``maxMessageCharacters``.
    static func message(fromErrorBody body: [UInt8]) -> String {
        var text = String(decoding: body, as: UTF8.self)
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] {
            if let error = object["error"], let message = message(fromJSONError: error) {
                text = message
            } else if let message = object["message"] as? String ?? object["detail"] as? String {
                text = message
            }
        }
        let line = text.split(whereSeparator: { $0.isNewline }).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return line.count > maxMessageCharacters ? String(line.prefix(maxMessageCharacters)) + "…" : line
    }

    static func message(fromJSONError error: Any) -> String? {
        if let text = error as? String { return text }
        if let object = error as? [String: Any] { return object["message"] as? String }
        return nil
    }
}
