import WeComSimulation

// The CLI plays WeCom: its bot JSON and streams are the simulator's. WeComCallback has server-side types of
// the same names (the stream state the server keeps), which the CLI does not use.
typealias JSONValue = WeComSimulation.JSONValue
typealias BotStream = WeComSimulation.BotStream
