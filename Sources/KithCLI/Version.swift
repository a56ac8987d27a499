/// kith's version: the one place it is written. `kith --version` prints it; scripts/package names the .deb after it.
public enum KithVersion {
    public static let current = "1.2.0"
}
