import Platform

/// The process's journals, one writer per path for the life of the process.
///
/// Each ``Journal`` serialises its own appends and takes back a torn line under its own lock; two
/// instances on one path (an old and a reloaded configuration) could cut each other's lines. So the
/// journals belong to the process, not to a configuration: a reload asks the registry for a path and
/// gets the writer already open, and SIGHUP reopens every one of them (after log rotation).
/// A journal whose app left the configuration stays open until the process ends.
public final class JournalRegistry: Sendable {
    private let journals: Locked<[String: Journal]>

    /// An empty registry.
    public init() { journals = Locked([:]) }

    /// The journal for `path`, opened (and created with mode 0640) on first use.
    /// - Parameter path: the file path as configured (absolute).
    /// - Returns: the one writer for that path.
    /// - Throws: ``Journal/JournalError`` when the file cannot be opened.
    public func journal(path: String) throws(Journal.JournalError) -> Journal {
        try journals.withLock { (journals) throws(Journal.JournalError) -> Journal in
            if let open = journals[path] { return open }
            let opened = try Journal(path: path)
            journals[path] = opened
            return opened
        }
    }

    /// Every open journal, sorted by path.
    public var all: [Journal] {
        journals.withLock { $0.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// Closes and reopens every journal (after log rotation).
    /// - Returns: the errors of the journals that could not be reopened (they retry on their next append).
    public func reopenAll() -> [Journal.JournalError] {
        var errors: [Journal.JournalError] = []
        for journal in all {
            do { try journal.reopen() } catch { errors.append(error) }
        }
        return errors
    }
}
