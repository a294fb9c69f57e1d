import ArgumentParser
import Foundation
import WeComCallback

/// `wecom-fcgi crypto …`: the WXBizMsgCrypt operations from the command line.
struct CryptoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Encrypt, decrypt and sign like WeCom does (WXBizMsgCrypt).",
        discussion: """
            Credentials come from --token/--encoding-aes-key/--corp-id or from
            WECOM_APP_TOKEN, WECOM_APP_AES_KEY and WECOM_APP_CORP_ID.

            Example:
              echo -n '<xml>…</xml>' | wecom-fcgi crypto encrypt > encrypt.txt
              wecom-fcgi crypto decrypt --file encrypt.txt
            """,
        subcommands: [Encrypt.self, Decrypt.self, Sign.self, VerifyURL.self])

    struct Encrypt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt a message (file or stdin) and print the base64 Encrypt value.",
            discussion: "With --timestamp and --nonce, print the whole reply envelope (spec §7) instead.")

        @OptionGroup var credentials: CredentialOptions
        @Option(help: "Read the plaintext from this file (default: stdin).") var file: String?
        @Option(help: "Unix seconds for a reply envelope.") var timestamp: String?
        @Option(help: "Nonce for a reply envelope.") var nonce: String?

        func run() throws {
            let crypt = try credentials.crypt()
            let plaintext = try readInput(file)
            do {
                if let timestamp, let nonce {
                    print(try crypt.encryptReply(plaintext, timestamp: timestamp, nonce: nonce))
                } else {
                    print(try crypt.encrypt(plaintext))
                }
            } catch {
                throw CryptoFailure(error)
            }
        }
    }

    struct Decrypt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt a base64 Encrypt value or a whole envelope (file or stdin) and print the plaintext.",
            discussion: """
                The plaintext goes to stdout byte-exact; the receiveid found goes to stderr as
                `receiveid: …`. With --msg-signature, --timestamp and --nonce the signature is checked
                first. A receiveid that differs from --corp-id fails unless --any-receiveid.
                """)

        @OptionGroup var credentials: CredentialOptions
        @Option(help: "Read the base64 text from this file (default: stdin).") var file: String?
        @Option(help: "Check this msg_signature first.") var msgSignature: String?
        @Option(help: "The request's timestamp (with --msg-signature).") var timestamp: String?
        @Option(help: "The request's nonce (with --msg-signature).") var nonce: String?
        @Flag(help: "Print the receiveid found without comparing it.") var anyReceiveid = false

        func run() throws {
            let crypt = try credentials.crypt(requireCorpID: !anyReceiveid)
            let input = try readInput(file)
            var text = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // A whole envelope (a request body or a reply) is accepted too: its Encrypt is decrypted.
            if text.hasPrefix("<"), let envelope = try? Envelope(parsing: input) { text = envelope.encrypt }
            do {
                if let msgSignature {
                    guard try Signature.verify(
                        msgSignature: msgSignature, token: crypt.token, timestamp: timestamp ?? "",
                        nonce: nonce ?? "", data: text)
                    else { throw WXBizMsgCryptError.signatureMismatch }
                }
                let frame = try crypt.decrypt(text)
                FileHandle.standardError.write(Data("receiveid: \(String(decoding: frame.receiveID, as: UTF8.self))\n".utf8))
                if !anyReceiveid && frame.receiveID != crypt.receiveID {
                    throw WXBizMsgCryptError.receiveIDMismatch
                }
                writeStdout(frame.message)
            } catch let error as WXBizMsgCryptError {
                throw CryptoFailure(error)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print msg_signature = sha1(sort(token, timestamp, nonce, data)).",
            discussion: "Example: wecom-fcgi crypto sign --token T --timestamp 1409659813 --nonce 1372623149 --data 'RypEv…'")

        @Option(help: "The app's Token (default: $WECOM_APP_TOKEN).") var token: String?
        @Option(help: "Unix seconds, as sent.") var timestamp: String
        @Option(help: "The nonce, as sent.") var nonce: String
        @Option(help: "The signed value: echostr or the Encrypt text.") var data: String

        func run() throws {
            guard let token = token ?? ProcessInfo.processInfo.environment["WECOM_APP_TOKEN"] else {
                throw ValidationError("missing token: pass --token or set WECOM_APP_TOKEN")
            }
            print(try Signature.compute(token: token, timestamp: timestamp, nonce: nonce, data: data))
        }
    }

    struct VerifyURL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-url",
            abstract: "Do what the server does for WeCom's URL-verification GET; print the plaintext.")

        @OptionGroup var credentials: CredentialOptions
        @Option var msgSignature: String
        @Option var timestamp: String
        @Option var nonce: String
        @Option(help: "The echostr, percent-decoded.") var echostr: String

        func run() throws {
            do {
                writeStdout(try credentials.crypt().verifyURL(
                    msgSignature: msgSignature, timestamp: timestamp, nonce: nonce, echostr: echostr))
            } catch let error as WXBizMsgCryptError {
                throw CryptoFailure(error)
            }
        }
    }
}

/// A crypto error reported on stderr with its SDK code; exit status 1.
struct CryptoFailure: Error, CustomStringConvertible {
    let error: WXBizMsgCryptError
    init(_ error: WXBizMsgCryptError) { self.error = error }
    init(_ error: any Error) { self.error = error as? WXBizMsgCryptError ?? .encryptFailed }
    var description: String { error.description }
}
