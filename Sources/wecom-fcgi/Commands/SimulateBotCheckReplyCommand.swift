import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// `wecom-fcgi simulate bot check-reply`: checks a bot server's answer to a request that was sent by other
/// means (the bot curl fixtures' `run.sh`, a captured exchange) like `simulate bot message` checks its own.
struct SimulateBotCheckReplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-reply",
        abstract: "Check a bot server's reply body against the request it answers; print its form.",
        discussion: """
            Decrypts the request (--query and --request, the body sent) to learn its nonce
            and what it was (message, event, stream refresh), then checks the reply body
            (--reply FILE, default stdin; empty means no reply): signature, the request's
            nonce, receiveid "", UTF-8 JSON, the §4 limits and the forms allowed for that
            callback. Prints the reply form (stream, text, template_card,
            stream_with_template_card, update_template_card) or `none` for an empty body;
            on a violation prints `FAIL: …` and exits with 1.

            Example:
              wecom-fcgi simulate bot check-reply --query "$(cat text.query)" --request text.body --reply answer
            """)

    @OptionGroup var credentials: BotCredentialOptions

    @Option(help: ArgumentHelp("The request's query string (percent-encoded, without `?`).", valueName: "query"))
    var query: String
    @Option(help: ArgumentHelp("The request body file ({\"encrypt\": …}).", valueName: "file"))
    var request: String
    @Option(help: ArgumentHelp("The reply body file (default: stdin).", valueName: "file"))
    var reply: String?

    func run() throws {
        let crypt = try credentials.crypt()
        var parameters: [String: String] = [:]
        for part in query.split(separator: "&") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if pair.count == 2 { parameters[pair[0]] = pair[1] }
        }
        guard let nonce = parameters["nonce"] else { throw ValidationError("--query has no nonce") }
        let kind: BotInboundKind
        do {
            let envelope = try JSONValue.parse(try readInput(request))
            guard let encrypt = envelope["encrypt"]?.stringValue else { throw ValidationError("--request has no encrypt") }
            kind = BotInboundKind(message: try JSONValue.parse(try crypt.decrypt(encrypt).message))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("--request cannot be decrypted as a bot callback: \(error)")
        }
        let body = try readInput(reply)
        do {
            let parsed: BotReply? = body.isEmpty
                ? nil : try BotReply(plaintext: BotReplyEnvelope(parsing: body).open(with: crypt, requestNonce: nonce))
            try BotReplyRules.check(parsed, answering: kind)
            print(parsed?.formName ?? "none")
        } catch {
            print("FAIL: \(error)")
            throw ExitCode(1)
        }
    }
}
