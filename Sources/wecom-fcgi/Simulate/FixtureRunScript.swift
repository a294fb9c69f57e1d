import WeComCallback
import WeComSimulation

/// The texts `fixtures generate` writes beside the fixtures: `run.sh` and `README.md`.
enum FixtureRunScript {
    /// The runner: `./run.sh BASE_URL` sends every fixture with curl, checks status, the exact GET
    /// body and the decrypted echo reply, and ends with `N passed, N failed`.
    /// - Parameters:
    ///   - corpID: the corp id the fixtures were made for (not secret; always embedded).
    ///   - embedSecrets: the credentials to embed as defaults — only for the published sample set;
    ///     `nil` makes the script require `WECOM_APP_TOKEN` and `WECOM_APP_AES_KEY` for reply checks.
    ///   - seed: recorded in the header comment.
    static func script(corpID: String, embedSecrets: AppCredentials?, seed: UInt64) -> String {
        let credentials: String
        if let embedSecrets {
            credentials = """
                # The published sample credentials (set A) these fixtures were made with; the environment overrides them.
                export WECOM_APP_CORP_ID=${WECOM_APP_CORP_ID:-\(Shell.quote(corpID))}
                export WECOM_APP_TOKEN=${WECOM_APP_TOKEN:-\(Shell.quote(embedSecrets.token))}
                export WECOM_APP_AES_KEY=${WECOM_APP_AES_KEY:-\(Shell.quote(embedSecrets.encodingAESKey))}
                """
        } else {
            credentials = """
                # Made with your own credentials, which are not written here: the reply checks read
                # WECOM_APP_TOKEN and WECOM_APP_AES_KEY from the environment.
                export WECOM_APP_CORP_ID=${WECOM_APP_CORP_ID:-\(Shell.quote(corpID))}
                """
        }
        return runner(
            seed: seed, argument: "BASE_URL", example: "http://127.0.0.1:8080/wecom/callback", credentials: credentials,
            checks: #"""
                # Sends every fixture of this directory with curl and checks the answer:
                #   NAME.status  the HTTP status
                #   NAME.expect  GET: the exact body; POST: the decrypted reply's Content or MediaId
                #                (decrypted with `wecom-fcgi crypto decrypt`: $WECOM_FCGI_BIN, else on PATH)
                """#,
            contentType: "text/xml",
            helpers: #"""
                # element NAME: the text of <NAME> in the response body, with or without CDATA.
                element() {
                    tr -d '\r\n' <"$TMP/body" | sed -n "s/.*<$1>\(<!\[CDATA\[\)\{0,1\}\([^]<]*\).*/\2/p"
                }

                # check_reply NAME: the reply envelope verifies, decrypts, and echoes NAME.expect.
                check_reply() {
                    local expect plain
                    expect=$(<"$DIR/$1.expect")
                    if [[ -z $BIN ]]; then
                        fail "wecom-fcgi not found: set WECOM_FCGI_BIN or put it on PATH"
                        return 1
                    fi
                    if [[ ! -s $TMP/body ]]; then
                        fail "no reply, expected one echoing $1.expect"
                        return 1
                    fi
                    if ! element Encrypt | "$BIN" crypto decrypt --msg-signature "$(element MsgSignature)" \
                        --timestamp "$(element TimeStamp)" --nonce "$(element Nonce)" >"$TMP/plain" 2>"$TMP/err"; then
                        fail "reply does not verify/decrypt: $(tr '\n' ' ' <"$TMP/err")"
                        return 1
                    fi
                    plain=$(<"$TMP/plain")
                    if [[ $plain != *"<Content><![CDATA[$expect]]></Content>"* && $plain != *"<MediaId><![CDATA[$expect]]></MediaId>"* ]]; then
                        fail "reply does not echo $1.expect: $plain"
                        return 1
                    fi
                }
                """#,
            afterRequest: "",
            check: #"""
                    if [[ -f $DIR/$name.expect ]]; then
                        if [[ $method == GET ]]; then
                            if ! cmp -s "$TMP/body" "$DIR/$name.expect"; then
                                fail "body is not exactly $name.expect: $(head -c 80 "$TMP/body" | od -An -c | tr -s ' \n' ' ')"
                                continue
                            fi
                        elif ! check_reply "$name"; then
                            continue
                        fi
                    fi
                """#)
    }

    /// The skeleton both runners share: usage, credentials, a scratch directory, one curl per fixture
    /// (`NAME.query`, `NAME.body`, `NAME.method`), the status check, then `check` for the answer, and the
    /// `N passed, N failed` line (exit status 1 when any failed).
    /// - Parameters:
    ///   - argument: the name of the one argument (the callback URL) in the usage line.
    ///   - checks: comment lines saying what the runner checks.
    ///   - contentType: the Content-Type of a POST body.
    ///   - helpers: shell functions the checks use (may be empty).
    ///   - afterRequest: a line run after the previous body is removed, before curl (may be empty).
    ///   - check: the lines checking one answer, at loop depth; `continue` after `fail` on a failure.
    static func runner(seed: UInt64, argument: String, example: String, credentials: String, checks: String,
                               contentType: String, helpers: String, afterRequest: String, check: String) -> String {
        let helpers = helpers.isEmpty ? "" : "\n\n" + helpers
        return #"""
        #!/usr/bin/env bash
        # Generated by `wecom-fcgi fixtures generate` (seed \#(seed)); do not edit.
        \#(checks)
        # Usage: ./run.sh \#(argument)       e.g. ./run.sh \#(example)
        # The last line is `N passed, N failed`; the exit status is 1 when any failed.
        set -uo pipefail
        if [[ $# -ne 1 ]]; then
            echo "usage: $0 \#(argument)" >&2
            exit 2
        fi
        BASE_URL=$1
        DIR=$(cd "$(dirname "$0")" && pwd)
        BIN=${WECOM_FCGI_BIN:-$(command -v wecom-fcgi || true)}
        \#(credentials)
        case $BASE_URL in *\?*) SEP='&' ;; *) SEP='?' ;; esac
        TMP=$(mktemp -d)
        trap 'rm -rf "$TMP"' EXIT
        passed=0
        failed=0

        fail() {
            echo "FAIL $name: $*"
            failed=$((failed + 1))
        }\#(helpers)

        for query_file in "$DIR"/*.query; do
            name=$(basename "$query_file" .query)
            body_file=$DIR/$name.body
            expected_status=$(<"$DIR/$name.status")
            if [[ -f $DIR/$name.method ]]; then
                method=$(<"$DIR/$name.method")
            elif [[ -s $body_file ]]; then
                method=POST
            else
                method=GET
            fi
            args=(-sS -g --max-time 10 -o "$TMP/body" -w '%{http_code}' -X "$method" -H 'Expect:')
            if [[ $method != GET ]]; then
                args+=(-H 'Content-Type: \#(contentType)' --data-binary "@$body_file")
            fi
            rm -f "$TMP/body"\#(afterRequest)
            if ! status=$(curl "${args[@]}" "$BASE_URL$SEP$(<"$query_file")"); then
                fail "curl failed"
                continue
            fi
            if [[ $status != "$expected_status" ]]; then
                fail "status $status, expected $expected_status"
                continue
            fi
        \#(check)
            echo "ok   $name ($status)"
            passed=$((passed + 1))
        done

        echo "$passed passed, $failed failed"
        [[ $failed -eq 0 ]]

        """#
    }

    /// `README.md` for the fixture directory: the format and the list of fixtures.
    static func readme(fixtures: [CurlFixture], seed: UInt64) -> String {
        var text = """
            # curl fixtures

            Generated by `wecom-fcgi fixtures generate DIR --seed \(seed)`; regenerate instead of editing.
            Run them against a deployment with `./run.sh BASE_URL` (bash, curl, and `wecom-fcgi` for the
            reply checks: `$WECOM_FCGI_BIN` or on `PATH`).

            | file | content |
            |---|---|
            | `NAME.query` | the query string, percent-encoded, no `?` |
            | `NAME.body` | the request body (empty for GET) |
            | `NAME.status` | the expected HTTP status |
            | `NAME.expect` | GET: the exact response body; POST: the decrypted reply's `Content` or `MediaId` |
            | `NAME.method` | the method, only when it is not GET (empty body) or POST (non-empty body) |

            Timestamps are fixed (from \(CurlFixtureSet.baseTimestamp)): a server that rejects stale timestamps
            will refuse them.

            The fixtures of an AI bot (JSON callbacks, receiveid "") are in `bot/`, with their own `run.sh`.

            | fixture | checks |
            |---|---|

            """
        for fixture in fixtures {
            text += "| `\(fixture.name)` | \(fixture.summary) |\n"
        }
        return text
    }
}
