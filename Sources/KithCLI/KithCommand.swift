import ArgumentParser

/// The `kith` command line: the only place that decides exit codes.
public struct KithCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kith",
        abstract: "Keeps the people you corresponded with from every work mailbox you ever had.",
        version: KithVersion.current,
        subcommands: [
            HarvestCommand.self, DaemonCommand.self, ContactsCommand.self, ShowCommand.self, ExportCommand.self, StatusCommand.self,
            ReportCommand.self, FinalExportCommand.self, VerifyExportCommand.self, CheckConfigCommand.self, ParseHeadersCommand.self,
            LinkCommand.self, UnlinkCommand.self, SuggestLinksCommand.self, LoginCommand.self, ImportCommand.self, BackupCommand.self, VerifyCommand.self, AddCommand.self, InitCommand.self, ImportLinkedInCommand.self,
            FadingCommand.self, IgnoreCommand.self, UnignoreCommand.self, ForgetCommand.self, SyncCardDAVCommand.self,
        ]
    )
    public init() {}
}
