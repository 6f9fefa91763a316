import Foundation
import S2IGANEvaluation
import S2IGANFormats
import S2IGANTensor
import TestSupport
import Testing
import S2IGANFormats

@Suite struct EvaluationListTests {
    @Test func referenceListsAndNamesAreNormalised() throws {
        let folder = temporaryRoot("lists")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A protocol-3 pickle of Windows-style names, as the reference ships them.
        let pickle = folder.appendingPathComponent("gen.pickle")
        try PickleWriter.write(.list([.string("001.Black_footed_Albatross\\Black_Footed_Albatross_0085_92_128_sentence0.jpg"),
                                      .string("class_00017\\image_06762_256_sentence9.jpg")]), to: pickle)
        let names = try EvaluationLists.read(pickle)
        #expect(names == ["001.Black_footed_Albatross/Black_Footed_Albatross_0085_92_128_sentence0.jpg", "class_00017/image_06762_256_sentence9.jpg"])
        #expect(names.map(EvaluationLists.generatedFileName) == ["001.Black_footed_Albatross/Black_Footed_Albatross_0085_92_256_sentence0.png",
                                                                  "class_00017/image_06762_256_sentence9.png"])
        #expect(try names.map(EvaluationLists.classID) == [1, 17])
        #expect(throws: EvaluationError.self) { try EvaluationLists.classID(of: "2762301555_48a0d0aa24") }
        let text = folder.appendingPathComponent("keys.txt")
        try Data("a/b\n\n c\\d \n".utf8).write(to: text)
        #expect(try EvaluationLists.read(text) == ["a/b", "c/d"])
        // Epoch folders are taken in numeric order; a folder without them is one set.
        for name in ["epoch600", "epoch100", "epoch50", "other"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        #expect(try EvaluationLists.epochFolders(in: folder).map(\.epoch) == [50, 100, 600])
        #expect(try EvaluationLists.epochFolders(in: folder.appendingPathComponent("other")).map(\.epoch) == [nil])
    }
}

/// Statistics files that cannot be a mean and a covariance are refused, naming the file.
