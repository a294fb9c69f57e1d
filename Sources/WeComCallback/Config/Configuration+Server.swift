import Foundation
import Logging

/// What the transport needs to serve a configuration: settings, the apps for ``CallbackHandler``,
/// and the open journals (for ``reopenJournals()`` on SIGHUP).
public struct ConfiguredServer: Sendable {
    /// `[server]`.
    public var settings: ServerSettings
    /// One ``CallbackApp`` per `[[app]]`, in file order, each with its ``RoutingProcessor``.
    public var apps: [CallbackApp]
    /// The journals opened for the apps that have one.
    public var journals: [Journal]
    /// The retry cache every app shares (pass it to the next ``Configuration/makeServer(logger:now:deliveries:)``
    /// on reload so that retries stay answered once).
    public var deliveries: DeliveryCache

    /// Reopens every journal (after log rotation).
    /// - Returns: the errors of the journals that could not be reopened (they retry on the next append).
    public func reopenJournals() -> [Journal.JournalError] {
        var errors: [Journal.JournalError] = []
        for journal in journals {
            do { try journal.reopen() } catch { errors.append(error) }
        }
        return errors
    }
}

extension Configuration {
    /// Opens the journals and builds the apps. The only step with side effects (journal files are
    /// created if missing).
    /// - Parameters:
    ///   - logger: given to each ``RoutingProcessor`` (exec failures, journal failures).
    ///   - now: the wall clock for reply `CreateTime` and journal `received_at`.
    ///   - deliveries: the retry cache to keep using (on reload); a new one sized by `[server]` when `nil`.
    /// - Returns: the apps and journals.
    /// - Throws: ``ConfigError`` naming each journal that cannot be opened or credential that fails.
    public func makeServer(logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
                           deliveries: DeliveryCache? = nil) throws(ConfigError) -> ConfiguredServer {
        let deliveries = deliveries ?? DeliveryCache(capacity: server.dedupEntries, ttl: TimeInterval(server.dedupTTLSeconds))
        var problems: [ConfigProblem] = []
        var apps: [CallbackApp] = []
        var journals: [Journal] = []
        for (i, app) in self.apps.enumerated() {
            var journal: Journal?
            if let path = app.journalPath {
                do {
                    let opened = try Journal(path: path)
                    journals.append(opened)
                    journal = opened
                } catch {
                    problems.append(ConfigProblem(.error, "app[\(i)].journal", error.description))
                }
            }
            let crypt: WXBizMsgCrypt
            do {
                crypt = try app.credentials.makeCrypt()
            } catch {
                problems.append(ConfigProblem(.error, "app[\(i)].encoding_aes_key", "not a valid EncodingAESKey (\(error.reason))"))
                continue
            }
            let processor = RoutingProcessor(appName: app.name, agentID: app.agentID, router: Router(routes: app.routes),
                                             journal: journal, logger: logger, now: now, deliveries: deliveries,
                                             replyBudget: TimeInterval(server.replyBudgetMS) / 1000)
            apps.append(CallbackApp(name: app.name, path: app.path, crypt: crypt, corpID: app.credentials.corpID, processor: processor))
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return ConfiguredServer(settings: server, apps: apps, journals: journals, deliveries: deliveries)
    }
}
