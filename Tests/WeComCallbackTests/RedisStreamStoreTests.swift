import Foundation
import Logging
import Testing
@testable import WeComCallback

/// AI-bot streams shared through Redis (issue 13): two store instances on one redis-server are two hosts.
@Suite(.serialized) struct RedisStreamStoreTests {
    static func store(port: Int, prefix: String) throws -> RedisStreamStore {
        let settings = ClusterSettings(endpoint: RedisEndpoint(host: "127.0.0.1", port: port), keyPrefix: prefix)
        let store = RedisStreamStore(cluster: RedisCluster(settings: settings, logger: Logger(label: "test"), metrics: nil))
        store.useCrypt(try RedisHealthAndOutcomeTests.crypt(""), forBot: "bot")
        return store
    }

    let key = DeliveryKey(app: "bot", msgID: "msg-1", plaintext: [])
    let id = "0123456789abcdef0123456789abcdef"

    @Test func aStreamWrittenOnOneHostIsReadGrowingAndFinishedOnAnother() throws {
        let redis = try RedisDeliveryStoreTests.RedisProcess()
        defer { redis.stop() }
        let prefix = "s\(UInt32.random(in: 0...UInt32.max)):"
        let (owner, other) = (try Self.store(port: redis.port, prefix: prefix), try Self.store(port: redis.port, prefix: prefix))
        let now = ContinuousClock.now
        owner.open(BotStream(id: id, owner: "host1:1", responseURL: "https://example.invalid/r"), forMessage: key, now: now, lifetime: .seconds(360))

        // Host 2 never saw the message: the retry gets the same stream, the refresh its state.
        #expect(other.answer(forMessage: key, now: now) == .stream(id))
        #expect(other.read(id, now: now)?.content == [])
        #expect(other.read(id, now: now)?.finish == false)

        #expect(owner.append(Array("秘密回答 part 1".utf8), to: id))
        #expect(other.read(id, now: now)?.shownContent == "秘密回答 part 1")
        // An incomplete character written so far is kept, not shown.
        let tail = Array(", 二".utf8)
        #expect(owner.append(Array(tail.dropLast()), to: id))
        #expect(other.read(id, now: now)?.shownContent == "秘密回答 part 1, ")
        #expect(owner.append([tail.last!], to: id))

        let image = BotImage(base64: "iVBORw0KGgo=", md5: "0123456789abcdef0123456789abcdef")
        let card: JSONValue = .object(["card_type": .string("text_notice")])
        #expect(owner.finish(id, images: [image], card: card, now: now)?.finish == true)
        let seen = try #require(other.read(id, now: now))
        #expect(seen.finish && seen.shownContent == "秘密回答 part 1, 二")
        #expect(seen.images == [image] && seen.card == card)
        #expect(seen.owner == "host1:1" && seen.responseURL == "https://example.invalid/r")
        #expect(seen == owner.read(id, now: now))
        // A finished stream takes no more output.
        #expect(!owner.append(Array("late".utf8), to: id))
        // Only the owner counts it as open; it is finished now.
        #expect(owner.openCount == 0 && other.openCount == 0)

        // Other answers are shared too.
        let welcome = DeliveryKey(app: "bot", msgID: "msg-2", plaintext: [])
        owner.remember(.reply(.object(["msgtype": .string("text")])), forMessage: welcome, now: now, lifetime: .seconds(60))
        #expect(other.answer(forMessage: welcome, now: now) == .reply(.object(["msgtype": .string("text")])))
        let empty = DeliveryKey(app: "bot", msgID: "msg-3", plaintext: [])
        owner.remember(.none, forMessage: empty, now: now, lifetime: .seconds(60))
        #expect(other.answer(forMessage: empty, now: now) == BotAnswer.none)
        #expect(other.answer(forMessage: DeliveryKey(app: "bot", msgID: "msg-4", plaintext: []), now: now) == nil)
        #expect(other.read("ffffffffffffffffffffffffffffffff", now: now) == nil)

        // At rest: sealed values naming the bot only, with the stream's lifetime as TTL.
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), timeout: .milliseconds(200))
        let value = try #require(try client.command(["GET", prefix + "stream:" + id]).text)
        #expect(value.hasPrefix("v1:bot:") && !value.contains("part") && !value.contains("card_type"))
        #expect(Data(base64Encoded: String(value.dropFirst(7))) != nil)
        guard case .integer(let ttl) = try client.command(["PTTL", prefix + "stream:" + id]) else { Issue.record("no TTL"); return }
        #expect(ttl > 300_000 && ttl <= 360_000)
        guard case .array(let keys) = try client.command(["KEYS", prefix + "stream-answer:*"]) else { Issue.record("no answers"); return }
        #expect(keys.count == 3)
        for name in keys.compactMap(\.text) {
            let stored = try client.command(["GET", name]).text ?? ""
            #expect(!name.contains("msg-") && stored.hasPrefix("v1:bot:"))
        }
    }

    @Test func aHostWithoutTheBotsCipherCannotOpenItsStreams() throws {
        let redis = try RedisDeliveryStoreTests.RedisProcess()
        defer { redis.stop() }
        let prefix = "s\(UInt32.random(in: 0...UInt32.max)):"
        let owner = try Self.store(port: redis.port, prefix: prefix)
        let settings = ClusterSettings(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), keyPrefix: prefix)
        let stranger = RedisStreamStore(cluster: RedisCluster(settings: settings, logger: Logger(label: "test"), metrics: nil))
        // Same bot name, another key: the value does not open.
        stranger.useCrypt(try WXBizMsgCrypt(token: "t", encodingAESKey: String(repeating: "b", count: 43), receiveID: ""), forBot: "bot")
        let now = ContinuousClock.now
        owner.open(BotStream(id: id), forMessage: key, now: now, lifetime: .seconds(60))
        #expect(owner.append(Array("secret".utf8), to: id))
        #expect(stranger.read(id, now: now) == nil)
        #expect(stranger.answer(forMessage: key, now: now) == nil)
        #expect(owner.read(id, now: now)?.shownContent == "secret")
    }

    @Test func aStreamLostFromRedisIsWrittenWholeAgainByItsOwnersNextWrite() throws {
        let redis = try RedisDeliveryStoreTests.RedisProcess()
        defer { redis.stop() }
        let prefix = "s\(UInt32.random(in: 0...UInt32.max)):"
        let (owner, other) = (try Self.store(port: redis.port, prefix: prefix), try Self.store(port: redis.port, prefix: prefix))
        let now = ContinuousClock.now
        owner.open(BotStream(id: id), forMessage: key, now: now, lifetime: .seconds(60))
        #expect(owner.append(Array("one ".utf8), to: id))
        // Redis restarted empty meanwhile: the next write carries everything this host has.
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), timeout: .milliseconds(200))
        _ = try client.command(["FLUSHALL"])
        #expect(other.read(id, now: now) == nil)
        #expect(owner.append(Array("two".utf8), to: id))
        #expect(other.read(id, now: now)?.shownContent == "one two")
        guard case .integer(let ttl) = try client.command(["PTTL", prefix + "stream:" + id]) else { Issue.record("no TTL"); return }
        #expect(ttl > 0 && ttl <= 60_000)
    }

    @Test func redisDownFallsBackToThisHostsCopy() throws {
        let store = try Self.store(port: 1, prefix: "x:")
        let now = ContinuousClock.now
        store.open(BotStream(id: id), forMessage: key, now: now, lifetime: .seconds(60))
        #expect(store.answer(forMessage: key, now: now) == .stream(id))
        #expect(store.append(Array("hello".utf8), to: id))
        #expect(store.openCount == 1)
        #expect(store.finish(id, images: [], card: nil, now: now)?.shownContent == "hello")
        let stream = try #require(store.read(id, now: now))
        #expect(stream.finish && stream.shownContent == "hello")
        #expect(store.read(id, now: now + .seconds(61)) == nil)
    }
}
