import GridCore
import Testing

@Suite struct LoadDurationTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)),
        ("500ms", .milliseconds(500)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
        ("30", .seconds(30)),
        ("1.5", .milliseconds(1500)),
        ("0.25s", .milliseconds(250)),
        (".5s", .milliseconds(500)),
        ("1.5m", .seconds(90)),
        ("0.001ms", .microseconds(1)),
        ("24h", .seconds(86_400)),
    ])
    func reads(text: String, duration: Duration) throws {
        #expect(try LoadDuration.parse(text) == duration)
    }

    @Test(arguments: [
        // text, what the message says
        ("abc", "'abc' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("", "'' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("s", "'s' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("-1s", "'-1s' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("1e3", "'1e3' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("inf", "'inf' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("1.2.3s", "'1.2.3s' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("5 s", "'5 s' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("30sec", "'30sec' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        ("0", "the duration '0' is zero; give more than 0"),
        ("0ms", "the duration '0ms' is zero; give more than 0"),
        ("25h", "the duration '25h' is over 24h, the longest run; give less"),
    ])
    func refuses(text: String, message: String) {
        #expect(throws: GridError(.invalidArgument, message)) { try LoadDuration.parse(text) }
    }
}
