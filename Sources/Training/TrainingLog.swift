import Foundation
import S2IGANFormats

/// A run's two logs, rewritten whole after every epoch from the records the checkpoint holds (so a resumed run's
/// logs never repeat or lose an epoch): `log.jsonl`, one JSON object per epoch with sorted keys, and `log.txt`,
/// the table that the trainer also prints line by line.
public struct TrainingLog<Record: TrainingEpochRecord>: Sendable {
    public static var jsonFile: String { "log.jsonl" }
    public static var tableFile: String { "log.txt" }

    /// The table's header line.
    public var header: String
    /// One epoch as a table line; the remaining time is given for the printed line, `nil` in `log.txt`.
    public var row: @Sendable (Record, RemainingTime?) -> String

    public init(header: String, row: @escaping @Sendable (Record, RemainingTime?) -> String) {
        (self.header, self.row) = (header, row)
    }

    /// Writes both logs of `records` into `folder`, each atomically.
    public func write(_ records: [Record], to folder: URL) throws {
        let lines = try records.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try writeFileAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: folder.appendingPathComponent(Self.jsonFile))
        let table = [header] + records.map { row($0, nil) }
        try writeFileAtomically(Data((table.joined(separator: "\n") + "\n").utf8), to: folder.appendingPathComponent(Self.tableFile))
    }

    /// `text` filled with spaces to `width` characters, on the right (or, with `right`, on the left).
    public static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
