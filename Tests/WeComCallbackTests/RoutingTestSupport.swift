import Foundation
import Logging
@testable import WeComCallback

/// Builders shared by the routing and configuration tests.
enum RT {
    static let corpID = "wwcorp"
    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_700_000_000) }
    /// A request that arrives now (the reply budget counts from here).
    static var context: ProcessingContext {
        ProcessingContext(appName: "helpdesk", corpID: corpID, arrival: ContinuousClock.now, timestamp: "1700000000")
    }

    /// A plaintext message: header plus `body` (raw XML elements).
    static func xml(_ msgType: String, _ body: String = "", from: String = "zhangsan", agentID: String? = "1000002",
                    msgID: String? = "7000000000000000001") -> [UInt8] {
        var x = "<xml><ToUserName><![CDATA[\(corpID)]]></ToUserName><FromUserName><![CDATA[\(from)]]></FromUserName>"
        x += "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[\(msgType)]]></MsgType>\(body)"
        if let msgID { x += "<MsgId>\(msgID)</MsgId>" }
        if let agentID { x += "<AgentID>\(agentID)</AgentID>" }
        return Array((x + "</xml>").utf8)
    }

    static func text(_ content: String, from: String = "zhangsan") -> [UInt8] {
        xml("text", "<Content><![CDATA[\(content)]]></Content>", from: from)
    }

    static func event(_ event: String, _ extra: String = "", from: String = "zhangsan", agentID: String? = "1000002") -> [UInt8] {
        xml("event", "<Event><![CDATA[\(event)]]></Event>\(extra)", from: from, agentID: agentID, msgID: nil)
    }

    /// The exact reply bytes a processor should produce for `reply` to `to`.
    static func expected(_ reply: PassiveReply, to: String = "zhangsan") -> ProcessingOutcome.Disposition {
        .reply(Array(reply.renderXML(toUser: to, fromUser: corpID, createTime: 1_700_000_000).utf8))
    }

    /// A processor without retry deduplication (each run is a new delivery), unless `deliveries` is given.
    static func processor(_ routes: [Route], agentID: Int64? = nil, journal: Journal? = nil,
                          deliveries: InMemoryDeliveryStore = InMemoryDeliveryStore(capacity: 0), replyBudget: TimeInterval = 4,
                          activeSender: (any ActiveSending)? = nil) -> MessagePipeline {
        MessagePipeline(appName: "helpdesk", agentID: agentID, router: Router(routes: routes), journal: journal,
                         logger: Logger(label: "test"), now: clock, deliveries: deliveries, replyBudget: replyBudget,
                         activeSender: activeSender)
    }

    static func processor(toml: String, environment: [String: String] = [:]) throws -> MessagePipeline {
        let config = try Configuration.parse(header + toml, environment: environment.merging(secrets) { a, _ in a })
        return processor(config.apps[0].routes, agentID: config.apps[0].agentID)
    }

    static let secrets = ["WECOM_APP_CORP_ID": corpID, "WECOM_APP_TOKEN": "QDG6eK",
                          "WECOM_APP_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
                          "PATH": "/usr/local/bin:/usr/bin:/bin"]
    static let header = "[[app]]\nname = \"helpdesk\"\n"

    /// Runs a processor on one plaintext and returns the disposition.
    static func run(_ p: MessagePipeline, _ plaintext: [UInt8]) -> ProcessingOutcome.Disposition {
        p.process(plaintext, context: context).disposition
    }

    static var fixtures: URL {
        Bundle.module.resourceURL?.appendingPathComponent("Fixtures") ?? URL(fileURLWithPath: "Fixtures")
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wecom-fcgi-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
