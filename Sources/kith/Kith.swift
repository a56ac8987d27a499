import Glibc
import KithCLI

@main
enum Kith {
    static func main() async {
        // Everything kith creates is its owner's alone, whatever the caller's umask (files are also opened 0600 explicitly).
        umask(0o077)
        await KithCommand.main(nil)
    }
}
