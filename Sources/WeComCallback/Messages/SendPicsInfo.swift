/// `SendPicsInfo` of the `pic_sysphoto` / `pic_photo_or_album` / `pic_weixin` events (spec §9):
/// `<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>…</PicMd5Sum></item>…</PicList></SendPicsInfo>`.
public struct SendPicsInfo: Sendable, Equatable {
    /// `Count`: number of pictures sent; `nil` when absent.
    public var count: Int?
    /// `PicList/item/PicMd5Sum` of every item, in order.
    public var picMd5Sums: [String]

    /// Creates the value.
    public init(count: Int?, picMd5Sums: [String]) {
        self.count = count
        self.picMd5Sums = picMd5Sums
    }

    init(_ r: FieldReader) throws(MessageError) {
        count = try r.int("Count")
        var sums: [String] = []
        for item in r.nested("PicList")?.list("item") ?? [] {
            sums.append(try item.required("PicMd5Sum"))
        }
        picMd5Sums = sums
    }
}
