import Foundation
import Logging
import Platform
import Testing
@testable import WeComCallback

/// `[cluster]` parts that need no Redis: the health machine on a fake clock, the sealed outcome, the URL.
@Suite struct RedisHealthAndOutcomeTests {
    @Test func healthLogsLossOnceSkipsRedisDuringTheBackoffAndLogsRegainOnce() {
        let t0 = ContinuousClock.now
        var health = RedisHealth(backoff: .seconds(1))
        #expect(health.shouldTry(at: t0))
        #expect(health.failed(at: t0) == .lost)
        #expect(!health.shouldTry(at: t0 + .milliseconds(999)))  // a dead Redis costs no request its timeout
        #expect(health.shouldTry(at: t0 + .seconds(1)))
        #expect(health.failed(at: t0 + .seconds(1)) == .none)  // still down: no second "lost" line
        #expect(!health.shouldTry(at: t0 + .milliseconds(1500)))
        #expect(health.succeeded() == .regained)
        #expect(health.succeeded() == .none)
        #expect(health.isUp && health.shouldTry(at: t0 + .milliseconds(1500)))
    }

    static func crypt(_ receiveID: String = "wwcorp") throws -> WXBizMsgCrypt {
        try WXBizMsgCrypt(token: "T0ken", encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiveID: receiveID)
    }

    @Test func outcomesAreSealedWithTheAppKeyAndOpenToTheSameReply() throws {
        let crypt = try Self.crypt()
        let card = TemplateCard(elements: [.init(name: "CardType", value: .text("button_interaction")),
                                           .init(name: "MainTitle", value: .children([.init(name: "Title", value: .text("secret plan"))])),
                                           .init(name: "TaskId", value: .bare("42"))])
        let outcomes: [StoredOutcome] = [
            .answered(.text("secret plan"), failure: nil),
            .answered(nil, failure: "route 0: exit status 3"),
            .answered(.news(try NewsArticles([NewsArticle(title: "secret plan", url: "https://example.com/a")])), failure: nil),
            .answered(.video(mediaID: "m1", title: nil, description: "d"), failure: nil),
            .answered(.updateTemplateCard(card), failure: nil),
            .missedBudget,
        ]
        for outcome in outcomes {
            let sealed = try #require(outcome.seal(with: crypt))
            #expect(!sealed.contains("secret plan"))
            #expect(StoredOutcome.open(sealed, with: crypt) == outcome)
        }
        #expect(StoredOutcome.answered(.text("x"), failure: nil).seal(with: crypt)?.hasPrefix("v1:") == true)
        // Another app's key (another receiveid) cannot open it.
        let sealed = try #require(StoredOutcome.answered(.text("secret plan"), failure: nil).seal(with: crypt))
        #expect(StoredOutcome.open(sealed, with: try Self.crypt("wwother")) == nil)
        #expect(StoredOutcome.open("v1:garbage", with: crypt) == nil)
    }

    @Test func redisURLsParse() throws {
        let full = try RedisEndpoint(url: "redis://:p%40ss@redis.internal:6380/2")
        #expect(full == RedisEndpoint(host: "redis.internal", port: 6380, user: nil, password: "p@ss", database: 2))
        #expect(try RedisEndpoint(url: "redis://127.0.0.1") == RedisEndpoint(host: "127.0.0.1", port: 6379))
        #expect(try RedisEndpoint(url: "redis://app:pw@[::1]:7000/0") == RedisEndpoint(host: "::1", port: 7000, user: "app", password: "pw"))
        #expect(full.description == "redis.internal:6380/2")  // never the password
        for bad in ["http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x"] {
            #expect(throws: RedisError.self) { try RedisEndpoint(url: bad) }
        }
    }
}

/// The lease logic against a real redis-server started here on a free loopback port (installed by
/// scripts/install-deps.sh; its absence fails, never skips).
@Suite(.serialized) struct RedisDeliveryStoreTests {
    /// A daemonized redis-server (no Foundation `Process`: its pid file is all the test keeps).
    final class RedisProcess: Sendable {
        let port: Int
        let pidFile: String

        init() throws {
            port = Int.random(in: 20_000...60_000)
            pidFile = NSTemporaryDirectory() + "/wecom-redis-test-\(port).pid"
            let command = "/usr/bin/redis-server --port \(port) --bind 127.0.0.1 --save '' --appendonly no --daemonize yes"
                + " --pidfile \(pidFile) --dir \(NSTemporaryDirectory()) --logfile /dev/null"
            guard system(command) == 0 else { throw RedisError("redis-server could not be started (scripts/install-deps.sh installs it)") }
            let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: port), timeout: .milliseconds(200))
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if (try? client.ping()) == true { return }
                usleep(50_000)
            }
            throw RedisError("redis-server did not answer on \(port)")
        }

        deinit { stop() }

        /// Stops the server (SIGTERM to the pid in its pid file).
        func stop() {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGTERM)
            }
        }
    }

    static func store(_ redis: RedisProcess, prefix: String, lease: Duration = .milliseconds(300), renews: Bool = true) throws -> RedisDeliveryStore {
        let settings = ClusterSettings(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), keyPrefix: prefix)
        let cluster = RedisCluster(settings: settings, logger: Logger(label: "test"), metrics: nil)
        let store = RedisDeliveryStore(cluster: cluster, capacity: 100, ttl: .seconds(60), leaseDuration: lease,
                                       pollInterval: .milliseconds(10), renews: renews)
        store.useCrypt(try RedisHealthAndOutcomeTests.crypt(), forApp: "app")
        return store
    }

    let key = DeliveryKey(app: "app", msgID: "1", plaintext: [])

    @Test func scriptsAreSentByDigestAndLoadedAgainAfterAFlush() throws {
        // Redis's documentation: SCRIPT LOAD "return 1" answers e0e1f9fabfc9d4800c877a703b823ac0578ff8db.
        let one = RedisScript("return 1")
        #expect(one.sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
        let redis = try RedisProcess()
        defer { redis.stop() }
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), timeout: .seconds(1))
        let script = RedisScript("return {KEYS[1], ARGV[1]}")
        func exists() throws -> RedisReply { try client.command(["SCRIPT", "EXISTS", script.sha1]) }
        #expect(try exists() == .array([.integer(0)]))
        // First use: NOSCRIPT, then EVAL, which leaves the script cached under its digest.
        #expect(try client.eval(script, keys: ["k"], arguments: ["a"]) == .array([.bytes(Array("k".utf8)), .bytes(Array("a".utf8))]))
        #expect(try exists() == .array([.integer(1)]))
        #expect(try client.eval(script, keys: ["k2"], arguments: ["b"]) == .array([.bytes(Array("k2".utf8)), .bytes(Array("b".utf8))]))
        // A flushed (or restarted) Redis: loaded again transparently.
        #expect(try client.command(["SCRIPT", "FLUSH"]) == .status("OK"))
        #expect(try client.eval(script, keys: ["k3"], arguments: ["c"]) == .array([.bytes(Array("k3".utf8)), .bytes(Array("c".utf8))]))
        // A script error is still an error, not a NOSCRIPT retry.
        #expect(throws: RedisError.self) { try client.eval(RedisScript("return redis.call('NOSUCHCOMMAND')"), keys: [], arguments: []) }
    }

    @Test func aRetryOnAnotherHostWaitsForTheOwnersOutcome() throws {
        let redis = try RedisProcess()
        defer { redis.stop() }
        let prefix = "t\(UInt32.random(in: 0...UInt32.max)):"
        let (a, b) = (try Self.store(redis, prefix: prefix), try Self.store(redis, prefix: prefix))
        #expect(a.claim(key, route: 1, now: .now) == .first(key))
        #expect(b.claim(key, route: 2, now: .now) == .retry(key, route: 1))
        #expect(b.answer(for: key, waitingUntil: .now + .milliseconds(50)) == .missedBudget)  // still running
        Thread.sleep(forTimeInterval: 0.7)  // past two leases: the owner renews while its action runs
        #expect(b.claim(key, route: 2, now: .now) == .retry(key, route: 1))
        #expect(a.finish(key, reply: .text("done"), failure: nil) == .answerWaitingArrivals)
        #expect(b.answer(for: key, waitingUntil: .now + .seconds(1)) == .reply(.text("done"), failure: nil))
        #expect(!a.holdsLease(key))
    }

    @Test func aLeaseThatRanOutIsTakenOverAndTheLateOutcomeIsNotRecordedOverTheNewOwners() throws {
        let redis = try RedisProcess()
        defer { redis.stop() }
        let prefix = "t\(UInt32.random(in: 0...UInt32.max)):"
        let stalled = try Self.store(redis, prefix: prefix, renews: false)  // a host that stopped renewing
        let (b, c) = (try Self.store(redis, prefix: prefix), try Self.store(redis, prefix: prefix))
        #expect(stalled.claim(key, route: 0, now: .now) == .first(key))
        #expect(b.claim(key, route: 0, now: .now) == .retry(key, route: 0))
        Thread.sleep(forTimeInterval: 0.45)  // the 300 ms lease runs out
        #expect(b.claim(key, route: 0, now: .now) == .first(key))  // taken over: b runs the action
        _ = stalled.finish(key, reply: .text("late, from the old owner"), failure: nil)
        _ = b.finish(key, reply: .text("from the new owner"), failure: nil)
        #expect(c.claim(key, route: 0, now: .now) == .retry(key, route: 0))
        #expect(c.answer(for: key, waitingUntil: .now + .seconds(1)) == .reply(.text("from the new owner"), failure: nil))
    }

    @Test func redisDownFallsBackToTheLocalStore() throws {
        let settings = ClusterSettings(endpoint: RedisEndpoint(host: "127.0.0.1", port: 1), timeoutMS: 50)
        let metrics = ServiceMetrics()
        let cluster = RedisCluster(settings: settings, logger: Logger(label: "test"), metrics: metrics)
        let store = RedisDeliveryStore(cluster: cluster, capacity: 100, ttl: .seconds(60))
        #expect(store.claim(key, route: 0, now: .now) == .first(key))
        #expect(store.claim(key, route: 0, now: .now) == .retry(key, route: 0))
        #expect(store.finish(key, reply: .text("local"), failure: nil) == .answerWaitingArrivals)
        #expect(store.answer(for: key, waitingUntil: .now) == .reply(.text("local"), failure: nil))
        #expect(String(decoding: metrics.render(), as: UTF8.self).contains("wecom_store_errors_total{app=\"\",store=\"delivery\"} 1"))
    }
}

/// The llm action's memory shared through Redis (issue 15 with issue 13's [cluster]).
@Suite(.serialized) struct RedisConversationStoreTests {
    static func store(_ redis: RedisDeliveryStoreTests.RedisProcess, prefix: String) throws -> RedisConversationStore {
        let settings = ClusterSettings(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), keyPrefix: prefix)
        let store = RedisConversationStore(cluster: RedisCluster(settings: settings, logger: Logger(label: "test"), metrics: nil))
        store.useCrypt(try RedisHealthAndOutcomeTests.crypt(), forApp: "app")
        return store
    }

    @Test func anotherHostSeesTheSameHistorySealedAndTrimmed() throws {
        let redis = try RedisDeliveryStoreTests.RedisProcess()
        defer { redis.stop() }
        let prefix = "c\(UInt32.random(in: 0...UInt32.max)):"
        let (a, b) = (try Self.store(redis, prefix: prefix), try Self.store(redis, prefix: prefix))
        let alice = ConversationKey(app: "app", user: "alice")
        for i in 1...3 {
            try a.append(ChatExchange(user: "秘密问题 \(i)", assistant: "answer \(i)"), to: alice, keeping: 2, ttl: .seconds(60))
        }
        // Host b never saw these exchanges: it reads them from Redis, the last two only.
        #expect(try b.history(for: alice) == [ChatExchange(user: "秘密问题 2", assistant: "answer 2"),
                                               ChatExchange(user: "秘密问题 3", assistant: "answer 3")])
        #expect(try b.history(for: ConversationKey(app: "app", user: "bob")) == [])
        // At rest the value is sealed: no message text in Redis.
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), timeout: .milliseconds(200))
        guard case .array(let keys) = try client.command(["KEYS", prefix + "*"]), keys.count == 1, let name = keys.first?.text,
              let value = try client.command(["GET", name]).text else {
            Issue.record("one conversation key expected")
            return
        }
        #expect(value.hasPrefix("v1:") && !value.contains("answer") && !name.contains("alice"))
        guard case .integer(let ttl) = try client.command(["PTTL", name]) else { Issue.record("no TTL"); return }
        #expect(ttl > 0 && ttl <= 60_000)
    }

    @Test func redisDownFallsBackToTheLocalCopy() throws {
        let settings = ClusterSettings(endpoint: RedisEndpoint(host: "127.0.0.1", port: 1), keyPrefix: "x:")
        let store = RedisConversationStore(cluster: RedisCluster(settings: settings, logger: Logger(label: "test"), metrics: nil))
        store.useCrypt(try RedisHealthAndOutcomeTests.crypt(), forApp: "app")
        let key = ConversationKey(app: "app", user: "alice")
        try store.append(ChatExchange(user: "q", assistant: "a"), to: key, keeping: 6, ttl: .seconds(60))
        #expect(try store.history(for: key) == [ChatExchange(user: "q", assistant: "a")])
    }
}
