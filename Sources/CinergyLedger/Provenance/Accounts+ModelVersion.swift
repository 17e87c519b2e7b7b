public import CinergyCore
import SystemPackage

extension Accounts {
    /// Makes the model version of the accounts' accounting and `factorFile` (its path and the
    /// hash of the content last read, when one was) the version in force; returns its canonical
    /// text. Called at start and whenever the factor file's content changes.
    @discardableResult
    public func useModelVersion(factorFile: EmissionFactorFile?) -> String {
        let text: String
        if let accounting {
            let file = factorFile.flatMap { file in file.contentSHA256.map { (path: file.path.string, sha256: $0) } }
            text = ModelVersion.canonicalText(ModelVersion.parameters(of: accounting, factorFile: file, grid: factorFile?.provenance))
        } else {
            text = "MODEL=none (no energy accounting)"
        }
        setModelParameters(text)
        return text
    }
}
