import Platform

/// A joinable POSIX thread running one closure. The new thread inherits the caller's signal mask.
struct PosixThread {
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let handle: pthread_t

    /// Starts a thread running `body`.
    /// - Parameter body: what the thread runs; the thread ends when it returns.
    /// - Throws: `FastCGIError.systemCallFailed` when `pthread_create` fails.
    init(_ body: @escaping @Sendable () -> Void) throws(FastCGIError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw .systemCallFailed(SystemError(call: "pthread_create", errno: result))
        }
        self.handle = handle
    }

    /// Waits until the thread's closure has returned.
    func join() {
        pthread_join(handle, nil)
    }
}
