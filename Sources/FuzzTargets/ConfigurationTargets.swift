import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANSEN

/// The YAML training configurations of the SEN and the RDG, read over each dataset's defaults.
enum ConfigurationTargets {
    static func sen(_ bytes: [UInt8]) throws {
        let (kind, text) = kindAndText(bytes)
        _ = try SENTrainingConfiguration.load(yaml: text, base: .defaults(for: kind))
    }

    static func rdg(_ bytes: [UInt8]) throws {
        let (kind, text) = kindAndText(bytes)
        _ = try RDGTrainingConfiguration.load(yaml: text, base: .defaults(for: kind))
    }

    /// The input as UTF-8 text (invalid sequences repaired, as `String(decoding:)` does), and the dataset whose
    /// defaults it overrides, chosen by the input's length so that every dataset's defaults are exercised.
    static func kindAndText(_ bytes: [UInt8]) -> (DatasetKind, String) {
        (DatasetKind.allCases[bytes.count % DatasetKind.allCases.count], String(decoding: bytes, as: UTF8.self))
    }
}
