import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// One URL-verification GET as WeCom's admin console sends it, for apps (wecom-callback.md §5) and AI bots
/// (wecom-aibot.md §1): both want HTTP 200 with exactly the echostr plaintext, within 1 second.
enum URLVerificationRun {
    /// Encrypts `echostr` (default: 19 random digits) with `crypt` (whose receiveid is the corp id for an
    /// app, "" for a bot), signs it and sends the GET, or prints the curl command with `--print-curl`.
    ///
    /// Prints `PASS: …` or `FAIL: <reason>`; warns on stderr when the answer took longer than 1 s.
    /// - Throws: `ValidationError` when the request cannot be built, `ExitCode(1)` on a failed check or
    ///   no HTTP answer.
    static func run(crypt: WXBizMsgCrypt, send: SendOptions, echostr: String?) throws {
        let plaintext = echostr ?? RandomDecimal.digits(19)
        let request: SimulatedRequest
        do {
            request = try SimulatedRequest.urlVerification(
                crypt: crypt, timestamp: send.resolvedTimestamp, nonce: send.resolvedNonce, echostr: plaintext)
        } catch {
            throw ValidationError(error.description)
        }
        let url = send.url(with: request.queryString)
        if send.printCurl {
            print(Curl.command(method: "GET", url: url, bodyFile: nil) + "; echo")
            print("# expected body, exactly (no newline): \(plaintext)")
            return
        }
        let started = ContinuousClock.now
        let result: HTTPResult
        do {
            result = try Curl.send(method: "GET", url: url, body: nil, timeout: send.timeout)
        } catch let failure as CurlFailure {
            print("FAIL: no HTTP answer: \(failure.description)")
            throw ExitCode(1)
        }
        let elapsed = ContinuousClock.now - started
        switch URLVerificationCheck.judge(status: result.status, body: result.body, echostr: plaintext) {
        case .pass:
            print("PASS: 200, body is the echostr plaintext exactly (\(plaintext.utf8.count) bytes)")
            if elapsed > .seconds(1) {
                FileHandle.standardError.write(Data("simulate: warning: the answer took \(elapsed), WeCom wants it within 1 s\n".utf8))
            }
        case .fail(let reason):
            print("FAIL: \(reason)")
            throw ExitCode(1)
        }
    }
}
