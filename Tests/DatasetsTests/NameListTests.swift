import Foundation
import S2IGANDatasets
import S2IGANFormats
import S2IGANTensor
import TestSupport
import Testing

/// Names in split files and evaluation lists are joined to a dataset root: one that escapes it is an error.
@Suite struct NameListEscapeTests {
    @Test func keysThatEscapeTheRootAreRefused() throws {
        let folder = temporaryRoot("names")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let good = folder.appendingPathComponent("good.pickle")
        try PickleWriter.write(.list([.string("001.A/img_1"), .string("a\\b")]), to: good)
        #expect(try NameList.read(good) == ["001.A/img_1", "a/b"])
        for (name, value) in [("up.pickle", "001.A/../../../etc/passwd"), ("absolute.pickle", "/etc/passwd"), ("windows.pickle", "..\\secret")] {
            let url = folder.appendingPathComponent(name)
            try PickleWriter.write(.list([.string("ok"), .string(value)]), to: url)
            let error = try #require(throws: DatasetError.self) { try NameList.read(url, what: "filenames") }
            #expect("\(error)".contains(name) && "\(error)".contains("item 1") && "\(error)".contains("not a path inside the dataset"), "\(error)")
        }
        let text = folder.appendingPathComponent("list.txt")
        try Data("a.png\n../b.png\n".utf8).write(to: text)
        #expect(throws: DatasetError.self) { try NameList.read(text) }
    }
}
