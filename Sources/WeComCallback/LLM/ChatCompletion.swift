import Foundation

/// One message of an OpenAI-compatible chat: `role` (`system`, `user`, `assistant`) and `content`.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// `system`, `user` or `assistant`.
    public var role: String
    /// The text.
    public var content: String

    /// - Parameters:
    ///   - role: `system`, `user` or `assistant`.
    ///   - content: the text.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// The body of `POST {base_url}/chat/completions` (OpenAI's chat completions API, as served by local
/// model servers and cloud APIs alike); always `stream: true`.
public struct ChatCompletionRequest: Sendable, Equatable, Encodable {
    /// The model name (`model`).
    public var model: String
    /// System prompt, earlier exchanges, then the user's message.
    public var messages: [ChatMessage]
    /// `max_tokens`, when configured.
    public var maxTokens: Int?
    /// Always `true`: the answer comes as server-sent events.
    public var stream = true

    enum CodingKeys: String, CodingKey {
        case model, messages, stream
        case maxTokens = "max_tokens"
    }

    /// - Parameters:
    ///   - model: the model name.
    ///   - messages: the conversation.
    ///   - maxTokens: the token limit of the answer, if any.
    public init(model: String, messages: [ChatMessage], maxTokens: Int? = nil) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
    }

    /// The JSON body (UTF-8, keys sorted, so it is stable for tests).
    public func jsonBody() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}

/// One piece of a streamed answer: `choices[0].delta.content` and, from reasoning models,
/// `choices[0].delta.reasoning_content` (a bot shows it as `<think>…</think>`; apps drop it).
public struct ChatDelta: Sendable, Equatable {
    /// Answer text, possibly empty.
    public var content: String
    /// Reasoning text, possibly empty.
    public var reasoning: String

    /// - Parameters:
    ///   - content: answer text.
    ///   - reasoning: reasoning text.
    public init(content: String = "", reasoning: String = "") {
        self.content = content
        self.reasoning = reasoning
    }
}

/// A whole streamed answer.
public struct ChatCompletion: Sendable, Equatable {
    /// The concatenated `content` deltas.
    public var content: String
    /// The concatenated `reasoning_content` deltas.
    public var reasoning: String
    /// How many events carried a non-empty delta.
    public var deltas: Int
    /// The last `finish_reason` seen (`stop`, `length` …), if any.
    public var finishReason: String?

    /// - Parameters:
    ///   - content: the answer.
    ///   - reasoning: the reasoning.
    ///   - deltas: the count of non-empty deltas.
    ///   - finishReason: the `finish_reason`, if any.
    public init(content: String = "", reasoning: String = "", deltas: Int = 0, finishReason: String? = nil) {
        self.content = content
        self.reasoning = reasoning
        self.deltas = deltas
        self.finishReason = finishReason
    }
}

/// Why a chat completion failed. Its description never holds the API key or the user's text.
public enum LLMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached (connection refused, DNS, TLS …).
    case connection(String)
    /// The server answered a status other than 200, with its error message (`error.message` of an
    /// OpenAI-style body, else the body's start).
    case status(Int, message: String)
    /// An event was not a chat completion chunk (or the stream said `error`).
    case malformedEvent(String)
    /// The stream ended without `[DONE]` or a `finish_reason`.
    case truncated
    /// `timeout_ms` passed before the answer was complete.
    case timedOut(afterMS: Int)
    /// The stream finished without any answer text.
    case emptyAnswer

    /// The metrics label: `connection`, `status`, `malformed`, `truncated`, `timeout` or `empty`.
    public var outcome: String {
        switch self {
        case .connection: return "connection"
        case .status: return "status"
        case .malformedEvent: return "malformed"
        case .truncated: return "truncated"
        case .timedOut: return "timeout"
        case .emptyAnswer: return "empty"
        }
    }

    public var description: String {
        switch self {
        case .connection(let reason): return "cannot connect: \(reason)"
        case .status(let status, let message): return "status \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .malformedEvent(let reason): return "malformed event: \(reason)"
        case .truncated: return "the stream ended before [DONE]"
        case .timedOut(let ms): return "timed out after \(ms) ms"
        case .emptyAnswer: return "empty answer"
        }
    }
}
