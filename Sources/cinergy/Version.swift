/// The version `cinergy --version` prints: the content of the repository's VERSION file, which a
/// test and `make deb` check it against (bump both together).
let cinergyVersion = "0.3.0"
