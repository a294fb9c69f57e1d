import Foundation
import Logging

/// One validated `[[bot]]`: an AI bot in API mode (spec `wecom-aibot.md`).
public struct BotConfiguration: Sendable, CustomStringConvertible {
    /// `name`: unique among apps and bots; in logs and given to programs as `WECOM_BOT`.
    public var name: String
    /// `path`: the DOCUMENT_URI the bot answers (required; unique among apps and bots).
    public var path: String
    /// `token` (resolved; never printed).
    public var token: String
    /// `encoding_aes_key` (resolved; never printed).
    public var encodingAESKey: String
    /// `aibot_id`: when set, a message carrying another `aibotid` is refused (403).
    public var aibotID: String?
    /// `journal`: the JSON Lines file messages are appended to, if any.
    public var journalPath: String?
    /// `[[bot.route]]` in order.
    public var routes: [BotRoute]

    /// Creates a bot configuration (tests, embedding).
    public init(name: String, path: String, token: String, encodingAESKey: String, aibotID: String? = nil,
                journalPath: String? = nil, routes: [BotRoute]) {
        self.name = name
        self.path = path
        self.token = token
        self.encodingAESKey = encodingAESKey
        self.aibotID = aibotID
        self.journalPath = journalPath
        self.routes = routes
    }

    /// The bot's crypto: receiveid "" (spec `wecom-aibot.md` §1).
    /// - Throws: ``CredentialError`` for a bad Token or EncodingAESKey.
    public func makeCrypt() throws(CredentialError) -> WXBizMsgCrypt {
        try WXBizMsgCrypt(token: token, encodingAESKey: encodingAESKey, receiveID: "")
    }

    /// Name, path, aibot id, journal and route count; no secret.
    public var description: String {
        "bot \(name) path=\(path) aibot_id=\(aibotID ?? "-") journal=\(journalPath ?? "-") routes=\(routes.count)"
    }
}

extension Configuration {
    /// Builds the ``CallbackApp``s of the `[[bot]]`s, each with its ``BotPipeline`` (``CallbackKind/bot``).
    /// - Parameters:
    ///   - logger: for the pipelines.
    ///   - now: wall clock.
    ///   - runtime: the process's stores, programs and metrics.
    ///   - journals: the open journals (bots' appended).
    ///   - problems: where failures go.
    /// - Returns: the bots as callback apps, in file order.
    func makeBots(logger: Logger, now: @escaping @Sendable () -> Date, runtime: ServerRuntime,
                  journals: inout [Journal], problems: inout [ConfigProblem]) -> [CallbackApp] {
        var out: [CallbackApp] = []
        for (i, bot) in bots.enumerated() {
            var journal: Journal?
            if let path = bot.journalPath {
                do {
                    let opened = try runtime.journals.journal(path: path)
                    journals.append(opened)
                    journal = opened
                } catch {
                    problems.append(ConfigProblem(.error, "bot[\(i)].journal", error.description))
                }
            }
            let crypt: WXBizMsgCrypt
            do {
                crypt = try bot.makeCrypt()
            } catch {
                problems.append(ConfigProblem(.error, "bot[\(i)].encoding_aes_key", "not a valid EncodingAESKey (\(error.reason))"))
                continue
            }
            var pipeline = BotPipeline(botName: bot.name, aibotID: bot.aibotID, router: BotRouter(routes: bot.routes), journal: journal,
                                       logger: logger, now: now, deliveries: runtime.deliveries, streams: runtime.streams,
                                       programs: runtime.programs, responseURL: runtime.responseURL, metrics: runtime.metrics)
            pipeline.conversations = runtime.conversations
            pipeline.media = BotMedia(key: crypt.aesKey, maxBytes: server.maxMediaBytes)
            (runtime.conversations as? RedisConversationStore)?.useCrypt(crypt, forApp: bot.name)
            (runtime.streams as? RedisStreamStore)?.useCrypt(crypt, forBot: bot.name)
            out.append(CallbackApp(name: bot.name, path: bot.path, crypt: crypt, corpID: "", processor: pipeline, kind: .bot))
        }
        return out
    }
}
