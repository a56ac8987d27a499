import Foundation

/// Folder names that tell a folder's role when the server gives no role attributes (RFC 6154).
///
/// Exchange Online offers no SPECIAL-USE and names the default folders in the mailbox's language, so a
/// German mailbox has "Junk-E-Mail", "Gelöschte Elemente" and "Entwürfe" where an English one has
/// "Junk Email", "Deleted Items" and "Drafts"; it also lists folders that hold no mail over IMAP
/// (calendar, contacts, tasks...). Where the names come from: the default folder names of Outlook and
/// Outlook on the web for each display language (Microsoft's localized Exchange mailboxes), plus the
/// names Gmail, Thunderbird, Apple Mail and Dovecot's example configuration use in English. They were
/// compiled from those products' localized interfaces; a missing or changed name only means kith reads
/// a folder it could have skipped (or `folders.exclude` skips it).
///
/// Matching is on the last component of the name, case-insensitively. Names of folders that hold no
/// mail count only at the top level, where Exchange creates them; their subfolders (Sync Issues/Conflicts,
/// a second calendar) hold no mail either.
enum FolderNames {
    struct Language {
        var code: String
        var junk: [String]
        var trash: [String]
        var drafts: [String]
        var sent: [String]
        var outbox: [String]
        /// Calendar, Contacts, Tasks, Notes, Journal, Sync Issues, RSS Feeds, Conversation History, Files.
        var noMail: [String]
    }

    static let languages: [Language] = [
        Language(code: "en", junk: ["Junk", "Junk E-mail", "Junk Email", "Junk Mail", "Spam", "Bulk Mail"],
                 trash: ["Trash", "Deleted Items", "Deleted Messages", "Deleted", "Bin"], drafts: ["Drafts", "Draft"],
                 sent: ["Sent", "Sent Items", "Sent Messages", "Sent Mail"], outbox: ["Outbox"],
                 noMail: ["Calendar", "Contacts", "Tasks", "Notes", "Journal", "Sync Issues", "RSS Feeds", "RSS Subscriptions", "Conversation History", "Files",
                          "Suggested Contacts", "Social Activity Notifications", "Yammer Root"]),
        Language(code: "de", junk: ["Junk-E-Mail", "Spam"], trash: ["Gelöschte Elemente", "Papierkorb", "Gelöscht"],
                 drafts: ["Entwürfe"], sent: ["Gesendete Elemente", "Gesendet"], outbox: ["Postausgang"],
                 noMail: ["Kalender", "Kontakte", "Aufgaben", "Notizen", "Journal", "Synchronisierungsprobleme", "RSS-Feeds", "RSS-Abonnements", "Unterhaltungsverlauf", "Dateien"]),
        Language(code: "fr", junk: ["Courrier indésirable", "Pourriel"], trash: ["Éléments supprimés", "Corbeille"],
                 drafts: ["Brouillons"], sent: ["Éléments envoyés", "Envoyés"], outbox: ["Boîte d'envoi"],
                 noMail: ["Calendrier", "Contacts", "Tâches", "Notes", "Journal", "Problèmes de synchronisation", "Flux RSS", "Historique des conversations", "Fichiers"]),
        Language(code: "es", junk: ["Correo no deseado"], trash: ["Elementos eliminados", "Papelera"], drafts: ["Borradores"],
                 sent: ["Elementos enviados", "Enviados"], outbox: ["Bandeja de salida"],
                 noMail: ["Calendario", "Contactos", "Tareas", "Notas", "Diario", "Problemas de sincronización", "Fuentes RSS", "Historial de conversaciones", "Archivos"]),
        Language(code: "it", junk: ["Posta indesiderata"], trash: ["Posta eliminata", "Cestino"], drafts: ["Bozze"],
                 sent: ["Posta inviata", "Inviata"], outbox: ["Posta in uscita"],
                 noMail: ["Calendario", "Contatti", "Attività", "Note", "Diario", "Problemi di sincronizzazione", "Feed RSS", "Cronologia conversazioni", "File"]),
        Language(code: "pt", junk: ["Lixo Eletrônico", "Lixo Eletrónico", "Email de Lixo"],
                 trash: ["Itens Excluídos", "Itens Eliminados", "Lixeira", "Reciclagem"], drafts: ["Rascunhos"],
                 sent: ["Itens Enviados", "Enviados"], outbox: ["Caixa de Saída"],
                 noMail: ["Calendário", "Contatos", "Contactos", "Tarefas", "Anotações", "Notas", "Diário",
                          "Problemas de Sincronização", "Feeds RSS", "Histórico de Conversas", "Arquivos", "Ficheiros"]),
        Language(code: "nl", junk: ["Ongewenste e-mail"], trash: ["Verwijderde items", "Prullenbak"], drafts: ["Concepten"],
                 sent: ["Verzonden items", "Verzonden"], outbox: ["Postvak UIT"],
                 noMail: ["Agenda", "Contactpersonen", "Taken", "Notities", "Logboek", "Synchronisatieproblemen", "RSS-feeds", "Gespreksgeschiedenis", "Bestanden"]),
        Language(code: "pl", junk: ["Wiadomości-śmieci"], trash: ["Elementy usunięte", "Kosz"], drafts: ["Wersje robocze"],
                 sent: ["Elementy wysłane", "Wysłane"], outbox: ["Skrzynka nadawcza"],
                 noMail: ["Kalendarz", "Kontakty", "Zadania", "Notatki", "Dziennik", "Problemy z synchronizacją", "Kanały informacyjne RSS", "Historia konwersacji", "Pliki"]),
        Language(code: "sv", junk: ["Skräppost"], trash: ["Borttagna objekt", "Papperskorgen"], drafts: ["Utkast"],
                 sent: ["Skickade objekt", "Skickat"], outbox: ["Utkorgen"],
                 noMail: ["Kalender", "Kontakter", "Uppgifter", "Anteckningar", "Journal", "Synkroniseringsproblem",
                          "RSS-feeds", "Konversationshistorik", "Filer"]),
        Language(code: "da", junk: ["Uønsket mail", "Uønsket e-mail"], trash: ["Slettet post", "Papirkurv"], drafts: ["Kladder"],
                 sent: ["Sendt post"], outbox: ["Udbakke"],
                 noMail: ["Kalender", "Kontakter", "Opgaver", "Noter", "Journal", "Synkroniseringsproblemer", "RSS-feeds",
                          "Samtaleoversigt", "Filer"]),
        Language(code: "nb", junk: ["Søppelpost"], trash: ["Slettede elementer", "Papirkurv"], drafts: ["Utkast"],
                 sent: ["Sendte elementer"], outbox: ["Utboks"],
                 noMail: ["Kalender", "Kontakter", "Oppgaver", "Notater", "Logg", "Synkroniseringsproblemer", "RSS-feeder",
                          "Samtalelogg", "Filer"]),
        Language(code: "fi", junk: ["Roskaposti"], trash: ["Poistetut", "Poistetut kohteet", "Roskakori"], drafts: ["Luonnokset"],
                 sent: ["Lähetetyt", "Lähetetyt kohteet"], outbox: ["Lähtevät"],
                 noMail: ["Kalenteri", "Yhteystiedot", "Tehtävät", "Muistilaput", "Päiväkirja", "Synkronointiongelmat",
                          "RSS-syötteet", "Keskusteluhistoria", "Tiedostot"]),
        Language(code: "cs", junk: ["Nevyžádaná pošta"], trash: ["Odstraněná pošta", "Koš"], drafts: ["Koncepty"],
                 sent: ["Odeslaná pošta"], outbox: ["Pošta k odeslání"],
                 noMail: ["Kalendář", "Kontakty", "Úkoly", "Poznámky", "Deník", "Problémy se synchronizací",
                          "Informační kanály RSS", "Historie konverzace", "Soubory"]),
        Language(code: "ru", junk: ["Нежелательная почта", "Спам"], trash: ["Удаленные", "Удалённые", "Корзина"],
                 drafts: ["Черновики"], sent: ["Отправленные"], outbox: ["Исходящие"],
                 noMail: ["Календарь", "Контакты", "Задачи", "Заметки", "Дневник", "Проблемы синхронизации", "RSS-каналы",
                          "Журнал бесед", "Файлы"]),
        Language(code: "ja", junk: ["迷惑メール"], trash: ["削除済みアイテム", "ごみ箱"], drafts: ["下書き"],
                 sent: ["送信済みアイテム", "送信済み"], outbox: ["送信トレイ"],
                 noMail: ["予定表", "連絡先", "タスク", "メモ", "履歴", "同期の失敗", "RSS フィード", "会話の履歴", "ファイル"]),
        Language(code: "zh-Hans", junk: ["垃圾邮件"], trash: ["已删除邮件"], drafts: ["草稿"], sent: ["已发送邮件"], outbox: ["发件箱"],
                 noMail: ["日历", "联系人", "任务", "便笺", "日记", "同步问题", "RSS 源", "RSS 订阅", "对话历史记录", "文件"]),
        Language(code: "zh-Hant", junk: ["垃圾郵件"], trash: ["刪除的郵件"], drafts: ["草稿"], sent: ["寄件備份"], outbox: ["寄件匣"],
                 noMail: ["行事曆", "連絡人", "工作", "記事", "日誌", "同步處理問題", "RSS 摘要", "交談記錄", "檔案"]),
        Language(code: "ko", junk: ["정크 메일"], trash: ["지운 편지함"], drafts: ["임시 보관함"], sent: ["보낸 편지함"],
                 outbox: ["보낼 편지함"],
                 noMail: ["일정", "연락처", "작업", "메모", "업무 일지", "동기화 문제", "RSS 피드", "대화 기록", "파일"]),
    ]

    /// Lowercased, precomposed name -> role and the language it was listed for.
    static let roles: [String: (role: FolderRole, language: String)] = {
        var table: [String: (role: FolderRole, language: String)] = [:]
        for language in languages {
            for (role, names) in [(FolderRole.junk, language.junk), (.trash, language.trash), (.drafts, language.drafts),
                                  (.sent, language.sent), (.outbox, language.outbox), (.noMail, language.noMail)] {
                for name in names where table[key(name)] == nil { table[key(name)] = (role, language.code) }
            }
        }
        return table
    }()

    static func key(_ name: String) -> String { name.precomposedStringWithCanonicalMapping.lowercased() }

    /// The role a folder's name suggests, from its components (top level first).
    static func role(components: [String]) -> (role: FolderRole, language: String)? {
        if let top = components.first, let found = roles[key(top)], found.role == .noMail { return found }
        guard let leaf = components.last, let found = roles[key(leaf)], found.role != .noMail else { return nil }
        return found
    }
}
