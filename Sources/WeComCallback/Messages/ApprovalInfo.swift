/// `ApprovalInfo` of the `open_approval_change` event (spec §9). The doc sample uses no CDATA;
/// `ItemUserid` (WxJava) is accepted for `ItemUserId`.
public struct ApprovalInfo: Sendable, Equatable {
    /// One `ApprovalNodes/ApprovalNode`.
    public struct Node: Sendable, Equatable {
        /// `NodeStatus`: 1 pending, 2 agreed, 3 rejected, 4 transferred.
        public var nodeStatus: Int?
        /// `NodeAttr`: 1 any-of, 2 all-of.
        public var nodeAttr: Int?
        /// `NodeType`: 1 fixed member, 2 tag, 3 superior.
        public var nodeType: Int?
        /// `Items/Item`, in order.
        public var items: [Item]

        /// Creates the value.
        public init(nodeStatus: Int?, nodeAttr: Int?, nodeType: Int?, items: [Item]) {
            self.nodeStatus = nodeStatus
            self.nodeAttr = nodeAttr
            self.nodeType = nodeType
            self.items = items
        }
    }

    /// One approver (`Items/Item`) of a node.
    public struct Item: Sendable, Equatable {
        /// `ItemName`.
        public var itemName: String?
        /// `ItemUserId` (or `ItemUserid`).
        public var itemUserID: String?
        /// `ItemImage`: avatar URL.
        public var itemImage: String?
        /// `ItemStatus`: same codes as ``Node/nodeStatus``.
        public var itemStatus: Int?
        /// `ItemSpeech`: the approver's comment.
        public var itemSpeech: String?
        /// `ItemOpTime`: Unix seconds, 0 when not yet acted.
        public var itemOpTime: Int64?

        /// Creates the value.
        public init(itemName: String?, itemUserID: String?, itemImage: String?, itemStatus: Int?,
                    itemSpeech: String?, itemOpTime: Int64?)
        {
            self.itemName = itemName
            self.itemUserID = itemUserID
            self.itemImage = itemImage
            self.itemStatus = itemStatus
            self.itemSpeech = itemSpeech
            self.itemOpTime = itemOpTime
        }
    }

    /// One `NotifyNodes/NotifyNode` (a member copied on the approval).
    public struct NotifyNode: Sendable, Equatable {
        /// `ItemName`.
        public var itemName: String?
        /// `ItemUserId` (or `ItemUserid`).
        public var itemUserID: String?
        /// `ItemImage`.
        public var itemImage: String?

        /// Creates the value.
        public init(itemName: String?, itemUserID: String?, itemImage: String?) {
            self.itemName = itemName
            self.itemUserID = itemUserID
            self.itemImage = itemImage
        }
    }

    /// `ThirdNo`: the approval number chosen by the app.
    public var thirdNo: String
    /// `OpenSpName`.
    public var openSpName: String?
    /// `OpenTemplateId`.
    public var openTemplateID: String?
    /// `OpenSpStatus`: 1 in progress, 2 approved, 3 rejected, 4 cancelled.
    public var openSpStatus: Int?
    /// `ApplyTime`: Unix seconds.
    public var applyTime: Int64?
    /// `ApplyUserName`.
    public var applyUserName: String?
    /// `ApplyUserId`.
    public var applyUserID: String?
    /// `ApplyUserParty`.
    public var applyUserParty: String?
    /// `ApplyUserImage`.
    public var applyUserImage: String?
    /// `ApprovalNodes/ApprovalNode`, in order.
    public var approvalNodes: [Node]
    /// `NotifyNodes/NotifyNode`, in order.
    public var notifyNodes: [NotifyNode]
    /// `approverstep` (lowercase in the doc sample): 0-based current node.
    public var approverStep: Int?

    /// Creates the value.
    public init(thirdNo: String, openSpName: String?, openTemplateID: String?, openSpStatus: Int?,
                applyTime: Int64?, applyUserName: String?, applyUserID: String?, applyUserParty: String?,
                applyUserImage: String?, approvalNodes: [Node], notifyNodes: [NotifyNode], approverStep: Int?)
    {
        self.thirdNo = thirdNo
        self.openSpName = openSpName
        self.openTemplateID = openTemplateID
        self.openSpStatus = openSpStatus
        self.applyTime = applyTime
        self.applyUserName = applyUserName
        self.applyUserID = applyUserID
        self.applyUserParty = applyUserParty
        self.applyUserImage = applyUserImage
        self.approvalNodes = approvalNodes
        self.notifyNodes = notifyNodes
        self.approverStep = approverStep
    }

    init(_ r: FieldReader) throws(MessageError) {
        thirdNo = try r.required("ThirdNo")
        openSpName = r.string("OpenSpName")
        openTemplateID = r.string("OpenTemplateId")
        openSpStatus = try r.int("OpenSpStatus")
        applyTime = try r.int64("ApplyTime")
        applyUserName = r.string("ApplyUserName")
        applyUserID = r.string("ApplyUserId", "ApplyUserid")
        applyUserParty = r.string("ApplyUserParty")
        applyUserImage = r.string("ApplyUserImage")
        var nodes: [Node] = []
        for node in r.nested("ApprovalNodes")?.list("ApprovalNode") ?? [] {
            var items: [Item] = []
            for item in node.nested("Items")?.list("Item") ?? [] {
                items.append(Item(
                    itemName: item.string("ItemName"), itemUserID: item.string("ItemUserId", "ItemUserid"),
                    itemImage: item.string("ItemImage"), itemStatus: try item.int("ItemStatus"),
                    itemSpeech: item.string("ItemSpeech"), itemOpTime: try item.int64("ItemOpTime")))
            }
            nodes.append(Node(nodeStatus: try node.int("NodeStatus"), nodeAttr: try node.int("NodeAttr"),
                              nodeType: try node.int("NodeType"), items: items))
        }
        approvalNodes = nodes
        notifyNodes = (r.nested("NotifyNodes")?.list("NotifyNode") ?? []).map {
            NotifyNode(itemName: $0.string("ItemName"), itemUserID: $0.string("ItemUserId", "ItemUserid"),
                       itemImage: $0.string("ItemImage"))
        }
        approverStep = try r.int("approverstep", "ApproverStep")
    }
}
