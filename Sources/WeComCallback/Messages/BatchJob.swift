/// `BatchJob` of the `batch_job_result` event (spec §9). Some senders put the fields directly under
/// the root instead of inside `<BatchJob>`; both are accepted.
public struct BatchJob: Sendable, Equatable {
    /// `JobId`.
    public var jobID: String
    /// `JobType`: `sync_user`, `replace_user`, `invite_user`, `replace_party`, export jobs, …
    public var jobType: String
    /// `ErrCode`: 0 on success; `nil` when absent.
    public var errCode: Int?
    /// `ErrMsg`; `nil` when absent.
    public var errMsg: String?

    /// Creates the value.
    public init(jobID: String, jobType: String, errCode: Int?, errMsg: String?) {
        self.jobID = jobID
        self.jobType = jobType
        self.errCode = errCode
        self.errMsg = errMsg
    }

    init(_ r: FieldReader) throws(MessageError) {
        jobID = try r.required("JobId", "JobID")
        jobType = try r.required("JobType")
        errCode = try r.int("ErrCode")
        errMsg = r.string("ErrMsg")
    }
}
