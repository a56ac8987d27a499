import Testing
@testable import KithArchive

@Suite struct ContactFilesTests {
    @Test func cellsThatWouldRunAsFormulasGetALeadingQuote() {
        for cell in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "  =1+1", "\t=1", "\r=1", "\tplain"] {
            #expect(ContactFiles.neutralisingFormula(cell) == "'" + cell, "\(cell)")
        }
        for cell in ["Ada Lovelace", "a=b", "", " spaced"] {
            #expect(ContactFiles.neutralisingFormula(cell) == cell, "\(cell)")
        }
    }

    @Test func vCardEscapesEveryKindOfLineBreakAndControls() {
        #expect(ContactFiles.escape("a\u{2028}b\u{2029}c\u{85}d\r\ne;f,g") == "a\\nb\\nc\\nd\\ne\\;f\\,g")
        #expect(ContactFiles.escape("x\u{1B}[2Jy\u{202E}") == "x\\\\u001b[2Jy\\\\u202e")
    }
}
