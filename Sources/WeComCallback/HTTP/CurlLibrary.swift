import CCurl
import Platform

/// libcurl, loaded at run time: the functions ``CurlTransfer`` calls, resolved from `libcurl.so.4`.
///
/// The binary does not link libcurl (nor its ~30 libraries: TLS, Kerberos, LDAP, SSH …), so a server
/// that never makes an HTTP request (the default configuration) never maps them: ``shared`` loads the
/// library on the first transfer, once, with `dlopen(RTLD_NOW | RTLD_LOCAL)` (every function resolved
/// at once, no symbol exported to the rest of the process), and it is never unloaded. Nothing outside
/// ``CurlTransfer`` sees a pointer.
///
/// The variadic `curl_easy_setopt` and `curl_easy_getinfo` cannot be held as Swift function types:
/// they are kept as the raw addresses dlsym gives and passed to the typed wrappers of the `CCurl`
/// shim, which cast them to the variadic prototype in C.
struct CurlLibrary: Sendable {
    typealias EasyInit = @convention(c) () -> UnsafeMutableRawPointer?
    typealias EasyHandleFunction = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias EasyPerform = @convention(c) (UnsafeMutableRawPointer?) -> CURLcode
    typealias EasyStrerror = @convention(c) (CURLcode) -> UnsafePointer<CChar>?
    typealias GlobalInit = @convention(c) (Int) -> CURLcode
    typealias MimeInit = @convention(c) (UnsafeMutableRawPointer?) -> OpaquePointer?
    typealias MimeAddPart = @convention(c) (OpaquePointer?) -> OpaquePointer?
    typealias MimeString = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> CURLcode
    typealias MimeHeaders = @convention(c) (OpaquePointer?, UnsafeMutablePointer<curl_slist>?, Int32) -> CURLcode
    typealias MimeFree = @convention(c) (OpaquePointer?) -> Void
    typealias SlistAppend = @convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<curl_slist>?
    typealias SlistFreeAll = @convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void

    /// The address of a variadic function, for the shim's wrappers. Sendable: it is the immutable
    /// address of code in a library that is never unloaded.
    struct VariadicFunction: @unchecked Sendable {
        let address: UnsafeMutableRawPointer
    }

    /// The soname loaded: Debian's `libcurl4` (OpenSSL flavour).
    static let soname = "libcurl.so.4"

    /// The process's libcurl, loaded by the first access (thread-safe: a `static let` is initialised
    /// once), or why it cannot be had (``TransferError/network(code:reason:)`` with `CURLE_FAILED_INIT`):
    /// then every transfer fails with that error and the rest of the server goes on.
    static let shared: Result<CurlLibrary, TransferError> = load(soname)

    let easyInit: EasyInit
    let easyCleanup: EasyHandleFunction
    let easyPerform: EasyPerform
    let easyStrerror: EasyStrerror
    /// `curl_easy_setopt` (variadic): only through the shim's `wecom_curl_setopt_*`.
    let easySetopt: VariadicFunction
    /// `curl_easy_getinfo` (variadic): only through the shim's `wecom_curl_getinfo_*`.
    let easyGetinfo: VariadicFunction
    let mimeInit: MimeInit
    let mimeAddPart: MimeAddPart
    let mimeName: MimeString
    let mimeFileData: MimeString
    let mimeFileName: MimeString
    let mimeType: MimeString
    let mimeHeaders: MimeHeaders
    let mimeFree: MimeFree
    let slistAppend: SlistAppend
    let slistFreeAll: SlistFreeAll

    /// Loads `soname` and resolves every function, then runs `curl_global_init` (once per process:
    /// only ``shared`` calls this outside the tests).
    /// - Parameter soname: the library's file name, as `dlopen` searches it.
    /// - Returns: the library, or ``TransferError/network(code:reason:)`` (code 2, `CURLE_FAILED_INIT`):
    ///   "libcurl4 is not installed (cannot load libcurl.so.4)", "libcurl.so.4 has no curl_mime_init
    ///   (too old)", or "curl_global_init failed".
    static func load(_ soname: String) -> Result<CurlLibrary, TransferError> {
        let failed = Int(CURLE_FAILED_INIT.rawValue)
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.network(code: failed, reason: "libcurl4 is not installed (cannot load \(soname))"))
        }
        var missing: String?
        func symbol(_ name: String) -> UnsafeMutableRawPointer? {
            guard let address = dlsym(handle, name) else {
                missing = missing ?? name
                return nil
            }
            return address
        }
        func function<Function>(_ name: String, as type: Function.Type) -> Function? {
            symbol(name).map { unsafeBitCast($0, to: type) }
        }
        let library = (
            function("curl_easy_init", as: EasyInit.self), function("curl_easy_cleanup", as: EasyHandleFunction.self),
            function("curl_easy_perform", as: EasyPerform.self), function("curl_easy_strerror", as: EasyStrerror.self),
            symbol("curl_easy_setopt"), symbol("curl_easy_getinfo"),
            function("curl_mime_init", as: MimeInit.self), function("curl_mime_addpart", as: MimeAddPart.self),
            function("curl_mime_name", as: MimeString.self), function("curl_mime_filedata", as: MimeString.self),
            function("curl_mime_filename", as: MimeString.self), function("curl_mime_type", as: MimeString.self),
            function("curl_mime_headers", as: MimeHeaders.self), function("curl_mime_free", as: MimeFree.self),
            function("curl_slist_append", as: SlistAppend.self), function("curl_slist_free_all", as: SlistFreeAll.self),
            function("curl_global_init", as: GlobalInit.self)
        )
        guard let easyInit = library.0, let easyCleanup = library.1, let easyPerform = library.2,
              let easyStrerror = library.3, let easySetopt = library.4, let easyGetinfo = library.5,
              let mimeInit = library.6, let mimeAddPart = library.7, let mimeName = library.8,
              let mimeFileData = library.9, let mimeFileName = library.10, let mimeType = library.11,
              let mimeHeaders = library.12, let mimeFree = library.13, let slistAppend = library.14,
              let slistFreeAll = library.15, let globalInit = library.16
        else {
            dlclose(handle)
            return .failure(.network(code: failed, reason: "\(soname) has no \(missing ?? "function") (too old)"))
        }
        // curl_global_init is not thread-safe in every build; here it runs once, inside the static
        // let's initialiser, before any transfer of this process (the only libcurl user in it).
        guard globalInit(wecom_curl_global_default) == CURLE_OK else {
            return .failure(.network(code: failed, reason: "curl_global_init failed"))
        }
        return .success(CurlLibrary(
            easyInit: easyInit, easyCleanup: easyCleanup, easyPerform: easyPerform, easyStrerror: easyStrerror,
            easySetopt: VariadicFunction(address: easySetopt), easyGetinfo: VariadicFunction(address: easyGetinfo), mimeInit: mimeInit, mimeAddPart: mimeAddPart,
            mimeName: mimeName, mimeFileData: mimeFileData, mimeFileName: mimeFileName, mimeType: mimeType,
            mimeHeaders: mimeHeaders, mimeFree: mimeFree, slistAppend: slistAppend, slistFreeAll: slistFreeAll))
    }
}
