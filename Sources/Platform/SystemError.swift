/// A failed system call: which call, and the `errno` it left.
///
/// The one error type of the POSIX layer (``POSIX/call(_:_:)``); its description is
/// `"<call> failed: <strerror text> (errno N)"`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `"open"` or `"accept4"`.
    public var call: String
    /// The `errno` value it set.
    public var errno: Int32

    /// - Parameters:
    ///   - call: the name of the failed call.
    ///   - errno: the `errno` value it set.
    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(POSIX.errorText(errno))" }
}
