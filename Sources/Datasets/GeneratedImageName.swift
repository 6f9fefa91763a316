/// The reference's names of generated evaluation images, written by the generator's split generation and read
/// by the evaluations (R@k, the demo's measurements), so both sides agree by construction.
public enum GeneratedImageName {
    /// The file of caption `caption` of image `key` at `size` px: `<key>_<size>_sentence<i>.png`.
    public static func fileName(key: String, size: Int, caption: Int) -> String { "\(key)_\(size)_sentence\(caption).png" }
}
