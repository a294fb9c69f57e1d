extension PassiveReply {
    /// Renders the plaintext reply XML (spec §10.1), on one line like vector gen-10:
    /// `<xml><ToUserName>…</ToUserName><FromUserName>…</FromUserName><CreateTime>…</CreateTime><MsgType>…</MsgType>…</xml>`.
    ///
    /// Free text goes in CDATA via ``XMLText/cdata(_:)`` (`]]>` split, XML-illegal characters
    /// removed); numbers are bare. Text `Content` is cut to 2048 bytes, titles to 128 and
    /// descriptions to 512, at a character boundary, after removing illegal characters.
    /// - Parameters:
    ///   - toUser: the member UserID (the request's `FromUserName`).
    ///   - fromUser: the CorpID (the request's `ToUserName`).
    ///   - createTime: Unix seconds.
    /// - Returns: the XML, to be encrypted with ``WXBizMsgCrypt/encryptReply(_:timestamp:nonce:)``.
    public func renderXML(toUser: String, fromUser: String, createTime: Int64) -> String {
        String(decoding: renderXMLBytes(toUser: toUser, fromUser: fromUser, createTime: createTime), as: UTF8.self)
    }

    /// ``renderXML(toUser:fromUser:createTime:)`` as UTF-8 bytes (what is encrypted, without the round
    /// trip through `String`).
    func renderXMLBytes(toUser: String, fromUser: String, createTime: Int64) -> [UInt8] {
        // Bytes appended into one buffer sized up front (a chain of `+`, or even `+=` on a String, cost
        // more per piece than the text itself); the rare reply types add their elements as one string.
        var xml = [UInt8]()
        xml.reserveCapacity(320 + (textContent?.utf8.count ?? 0))
        Bytes.append("<xml><ToUserName>", to: &xml)
        XMLText.appendCDATA(toUser, to: &xml)
        Bytes.append("</ToUserName><FromUserName>", to: &xml)
        XMLText.appendCDATA(fromUser, to: &xml)
        Bytes.append("</FromUserName><CreateTime>", to: &xml)
        Bytes.append(String(createTime), to: &xml)
        Bytes.append("</CreateTime><MsgType>", to: &xml)
        XMLText.appendCDATA(msgType, to: &xml)
        Bytes.append("</MsgType>", to: &xml)
        if case .text(let content) = self {
            Bytes.append("<Content>", to: &xml)
            XMLText.appendCDATA(XMLText.truncatedUTF8(XMLText.removingIllegal(content), maxBytes: Limit.textContent), to: &xml)
            Bytes.append("</Content>", to: &xml)
        } else {
            Bytes.append(elementsXML, to: &xml)
        }
        Bytes.append("</xml>", to: &xml)
        return xml
    }

    /// The elements after `MsgType` of the reply types other than text.
    private var elementsXML: String {
        var xml = ""
        switch self {
        case .text:
            break
        case .image(let mediaID):
            xml += "<Image><MediaId>" + XMLText.cdata(mediaID) + "</MediaId></Image>"
        case .voice(let mediaID):
            xml += "<Voice><MediaId>" + XMLText.cdata(mediaID) + "</MediaId></Voice>"
        case .video(let mediaID, let title, let description):
            xml += "<Video><MediaId>" + XMLText.cdata(mediaID) + "</MediaId>"
            if let title { xml += "<Title>" + Self.cdata(title, max: Limit.title) + "</Title>" }
            if let description {
                xml += "<Description>" + Self.cdata(description, max: Limit.description) + "</Description>"
            }
            xml += "</Video>"
        case .news(let news):
            xml += "<ArticleCount>" + String(news.articles.count) + "</ArticleCount><Articles>"
            for article in news.articles {
                xml += "<item><Title>" + Self.cdata(article.title, max: Limit.title) + "</Title>"
                if let description = article.description {
                    xml += "<Description>" + Self.cdata(description, max: Limit.description) + "</Description>"
                }
                if let picURL = article.picURL { xml += "<PicUrl>" + XMLText.cdata(picURL) + "</PicUrl>" }
                if let url = article.url { xml += "<Url>" + XMLText.cdata(url) + "</Url>" }
                xml += "</item>"
            }
            xml += "</Articles>"
        case .updateButton(let replaceName):
            xml += "<Button><ReplaceName>" + XMLText.cdata(replaceName) + "</ReplaceName></Button>"
        case .updateTemplateCard(let card):
            xml += "<TemplateCard>"
            Self.render(card.elements, into: &xml)
            xml += "</TemplateCard>"
        case .updateTaskcard(let replaceName):
            xml += "<TaskCard><ReplaceName>" + XMLText.cdata(replaceName) + "</ReplaceName></TaskCard>"
        }
        return xml
    }

    /// The text reply's content, for sizing the buffer.
    private var textContent: String? {
        if case .text(let content) = self { return content }
        return nil
    }

    /// CDATA of `text` without illegal characters, cut to `max` bytes.
    static func cdata(_ text: String, max: Int) -> String {
        XMLText.cdata(XMLText.truncatedUTF8(XMLText.removingIllegal(text), maxBytes: max))
    }

    private static func render(_ elements: [TemplateCard.Element], into xml: inout String) {
        for element in elements {
            // Names come from JSON keys: keep only name-safe ASCII so nothing can break the markup.
            let name = String(element.name.unicodeScalars.filter(isNameScalar).map(Character.init))
            guard let first = name.unicodeScalars.first, !("0"..."9").contains(first), first != "-", first != "." else {
                continue
            }
            xml += "<" + name + ">"
            switch element.value {
            case .text(let text): xml += XMLText.cdata(text)
            case .bare(let bare):
                xml += bare.unicodeScalars.allSatisfy(isBareScalar) ? bare : XMLText.cdata(bare)
            case .children(let children): render(children, into: &xml)
            }
            xml += "</" + name + ">"
        }
    }

    private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "_" || s == "-" || s == "."
    }

    private static func isBareScalar(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "-" || s == "+" || s == "."
    }
}
