import Testing
@testable import WeComCallback

/// The lock-free per-app counters and the app-keyed API record into the same Prometheus series.
@Suite struct ServiceMetricsTests {
    func text(_ metrics: ServiceMetrics) -> String { String(decoding: metrics.render(), as: UTF8.self) }

    @Test func appCountersAndTheAppKeyedAPIShareSeries() {
        let metrics = ServiceMetrics()
        let counters = metrics.counters(forApp: "helpdesk")
        counters.request(status: 200, duration: .milliseconds(1))
        metrics.request(app: "helpdesk", status: 200, duration: .milliseconds(1))
        metrics.counters(forApp: "helpdesk").request(status: 200, duration: .milliseconds(1))
        counters.request(status: 502, duration: .milliseconds(1))  // not a pre-made slot: the locked path
        counters.cryptoFailure(.signature)
        metrics.cryptoFailure(app: "helpdesk", .signature)
        counters.dedupHit()
        counters.execFailure(.timeout)
        let text = text(metrics)
        #expect(text.contains(#"wecom_requests_total{app="helpdesk",status="200"} 3"#))
        #expect(text.contains(#"wecom_requests_total{app="helpdesk",status="502"} 1"#))
        #expect(text.contains(#"wecom_crypto_failures_total{app="helpdesk",kind="signature"} 2"#))
        #expect(text.contains(#"wecom_dedup_hits_total{app="helpdesk"} 1"#))
        #expect(text.contains(#"wecom_exec_failures_total{app="helpdesk",reason="timeout"} 1"#))
        #expect(text.contains(#"wecom_request_duration_seconds_count 4"#))
    }

    @Test func unusedCountersAreNotRendered() {
        let metrics = ServiceMetrics()
        _ = metrics.counters(forApp: "quiet")
        #expect(!text(metrics).contains(#"app="quiet""#))
    }

    @Test func concurrentIncrementsAreAllCounted() async {
        let metrics = ServiceMetrics()
        let counters = metrics.counters(forApp: "a")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<1000 { counters.dedupHit() } }
            }
        }
        #expect(text(metrics).contains(#"wecom_dedup_hits_total{app="a"} 8000"#))
    }
}

/// `QueryString.parse`: each value percent-decoded exactly once (spec §5.3).
@Suite struct QueryStringTests {
    @Test func plainValuesAreKeptAsTheyAre() throws {
        let query = try QueryString.parse("msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149&echostr=a+b/c==")
        #expect(query["msg_signature"] == "477715d11cdb4164915debcba66cb864d751f3e6")
        #expect(query["timestamp"] == "1409659813")
        #expect(query["echostr"] == "a+b/c==")
        #expect(query["missing"] == nil)
    }

    @Test func escapesAreDecodedOnce() throws {
        let query = try QueryString.parse("echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D&x=%252B&%E4%B8%AD=%E6%96%87&flag")
        #expect(query["echostr"] == "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==")
        #expect(query["x"] == "%2B")
        #expect(query["中"] == "文")
        #expect(query["flag"] == "")
    }

    @Test func malformedQueriesNameTheParameter() {
        #expect(throws: QueryString.ParseError.duplicate("nonce")) { try QueryString.parse("nonce=1&nonce=2") }
        #expect(throws: QueryString.ParseError.badPercentEscape("nonce")) { try QueryString.parse("nonce=%G1") }
        #expect(throws: QueryString.ParseError.badPercentEscape("nonce")) { try QueryString.parse("nonce=12%4") }
        #expect(throws: QueryString.ParseError.badPercentEscape("a%Zb")) { try QueryString.parse("a%Zb=1") }
        #expect(throws: QueryString.ParseError.notUTF8("echostr")) { try QueryString.parse("echostr=%FF%FE") }
        #expect(throws: QueryString.ParseError.notUTF8("%C3")) { try QueryString.parse("%C3=1") }
    }
}

/// `LogText.sanitize`'s fast path returns printable ASCII within the limit unchanged, and only that.
@Suite struct LogTextBoundaryTests {
    @Test func limitIsExact() {
        let exact = String(repeating: "x", count: 64)
        #expect(LogText.sanitize(exact, limit: 64) == exact)
        #expect(LogText.sanitize(exact + "y", limit: 64) == exact + "…")
        #expect(LogText.sanitize("tab\there", limit: 64) == "tab\\u{9}here")
        #expect(LogText.sanitize("del\u{7f}", limit: 64) == "del\\u{7f}")
        #expect(LogText.sanitize("é", limit: 1) == "é")
    }
}
