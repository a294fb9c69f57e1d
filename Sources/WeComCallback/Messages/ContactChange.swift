/// The payload of a `change_contact` event by `ChangeType` (spec §9).
public enum ContactChange: Sendable, Equatable {
    /// Member fields of `create_user` / `update_user`. Apart from `UserID` every field is optional:
    /// `update_user` carries only what changed, and sensitive fields depend on the app's rights.
    public struct User: Sendable, Equatable {
        /// `UserID`.
        public var userID: String
        /// `NewUserID` (update_user, when the id changed).
        public var newUserID: String?
        /// `Name`.
        public var name: String?
        /// `Department`: department ids, from the comma list (`1,2,3`).
        public var department: [String]?
        /// `MainDepartment`.
        public var mainDepartment: String?
        /// `IsLeaderInDept`: comma list aligned with ``department`` (`1` leader, `0` not).
        public var isLeaderInDept: [String]?
        /// `Position`.
        public var position: String?
        /// `Mobile`.
        public var mobile: String?
        /// `Gender`: 1 male, 2 female.
        public var gender: Int?
        /// `Email`.
        public var email: String?
        /// `BizMail`.
        public var bizMail: String?
        /// `Status`: 1 active, 2 disabled, 4 not activated.
        public var status: Int?
        /// `Avatar`: URL.
        public var avatar: String?
        /// `Alias`.
        public var alias: String?
        /// `Telephone`.
        public var telephone: String?
        /// `Address`.
        public var address: String?
        /// `ExtAttr/Item`, in order (empty when absent).
        public var extAttr: [ExtAttr]

        /// Creates a value with only `userID` set.
        public init(userID: String) {
            self.userID = userID
            self.extAttr = []
        }

        init(_ r: FieldReader) throws(MessageError) {
            userID = try r.required("UserID", "UserId")
            newUserID = r.string("NewUserID", "NewUserId")
            name = r.string("Name")
            department = r.commaList("Department")
            mainDepartment = r.token("MainDepartment")
            isLeaderInDept = r.commaList("IsLeaderInDept")
            position = r.string("Position")
            mobile = r.string("Mobile")
            gender = try r.int("Gender")
            email = r.string("Email")
            bizMail = r.string("BizMail")
            status = try r.int("Status")
            avatar = r.string("Avatar")
            alias = r.string("Alias")
            telephone = r.string("Telephone")
            address = r.string("Address")
            var attrs: [ExtAttr] = []
            for item in r.nested("ExtAttr")?.list("Item") ?? [] { attrs.append(try ExtAttr(item)) }
            extAttr = attrs
        }
    }

    /// Department fields of `create_party` / `update_party`.
    public struct Party: Sendable, Equatable {
        /// `Id`: department id.
        public var id: Int64
        /// `Name`.
        public var name: String?
        /// `ParentId`.
        public var parentID: Int64?
        /// `Order`: sort order within the parent.
        public var order: Int64?

        /// Creates the value.
        public init(id: Int64, name: String? = nil, parentID: Int64? = nil, order: Int64? = nil) {
            self.id = id
            self.name = name
            self.parentID = parentID
            self.order = order
        }

        init(_ r: FieldReader) throws(MessageError) {
            id = try r.requiredInt64("Id")
            name = r.string("Name")
            parentID = try r.int64("ParentId")
            order = try r.int64("Order")
        }
    }

    /// Fields of `update_tag`. The lists are the comma lists as sent (empty when absent).
    public struct Tag: Sendable, Equatable {
        /// `TagId`.
        public var tagID: Int64
        /// `AddUserItems`: member UserIDs added.
        public var addUserItems: [String]
        /// `DelUserItems`: member UserIDs removed.
        public var delUserItems: [String]
        /// `AddPartyItems`: department ids added.
        public var addPartyItems: [String]
        /// `DelPartyItems`: department ids removed.
        public var delPartyItems: [String]

        /// Creates the value.
        public init(tagID: Int64, addUserItems: [String] = [], delUserItems: [String] = [],
                    addPartyItems: [String] = [], delPartyItems: [String] = [])
        {
            self.tagID = tagID
            self.addUserItems = addUserItems
            self.delUserItems = delUserItems
            self.addPartyItems = addPartyItems
            self.delPartyItems = delPartyItems
        }

        init(_ r: FieldReader) throws(MessageError) {
            tagID = try r.requiredInt64("TagId")
            addUserItems = r.commaList("AddUserItems") ?? []
            delUserItems = r.commaList("DelUserItems") ?? []
            addPartyItems = r.commaList("AddPartyItems") ?? []
            delPartyItems = r.commaList("DelPartyItems") ?? []
        }
    }

    /// `create_user`.
    case createUser(User)
    /// `update_user`.
    case updateUser(User)
    /// `delete_user`: `UserID`.
    case deleteUser(userID: String)
    /// `create_party`.
    case createParty(Party)
    /// `update_party`.
    case updateParty(Party)
    /// `delete_party`: `Id`.
    case deleteParty(id: Int64)
    /// `update_tag`.
    case updateTag(Tag)
    /// Any other `ChangeType`, as sent; every field stays in ``InboundMessage/fields``.
    case unknown(changeType: String)

    init(changeType: String, _ r: FieldReader) throws(MessageError) {
        switch changeType {
        case "create_user": self = .createUser(try User(r))
        case "update_user": self = .updateUser(try User(r))
        case "delete_user": self = .deleteUser(userID: try r.required("UserID", "UserId"))
        case "create_party": self = .createParty(try Party(r))
        case "update_party": self = .updateParty(try Party(r))
        case "delete_party": self = .deleteParty(id: try r.requiredInt64("Id"))
        case "update_tag": self = .updateTag(try Tag(r))
        default: self = .unknown(changeType: changeType)
        }
    }
}
