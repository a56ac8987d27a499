import Testing
import KithMail

@Suite struct SafeTextTests {
    @Test func controlsAndBidiOverridesBecomeVisibleEscapes() {
        #expect(SafeText.line("Evil\u{1B}[31mRed\u{07}") == "Evil\\u001b[31mRed\\u0007")
        #expect(SafeText.line("a\u{9B}b\u{7F}c\u{85}d") == "a\\u009bb\\u007fc\\u0085d")
        #expect(SafeText.line("abc\u{202E}fdp.exe\u{2066}x\u{2069}") == "abc\\u202efdp.exe\\u2066x\\u2069")
        #expect(SafeText.line("Müller 山田 \t tab") == "Müller 山田 \t tab", "ordinary text and tabs stay")
    }

    @Test func aLogRecordStaysOneLine() {
        let forged = SafeText.line("Folder\n<0>kith: forged emergency\r\nend\u{2028}x")
        #expect(!forged.contains("\n") && !forged.contains("\r") && !forged.unicodeScalars.contains("\u{2028}"))
        #expect(forged == "Folder\\n<0>kith: forged emergency\\r\\nend\\u2028x")
    }

    @Test func severalLinesKeepTheirBreaksOnly() {
        #expect(SafeText.lines("one\r\ntwo\n\u{1B}three\r") == "one\r\ntwo\n\\u001bthree\\r")
    }
}
