import S2IGANVision

/// Which of the FIDs in use a number is. They differ in the network and in how images reach it, and their values
/// are not comparable with each other.
public enum FIDVariant: String, Sendable, CaseIterable, Codable {
    /// pytorch-fid (mseitzer/pytorch-fid), which S2IGAN's README points to and its `07_FID.sh` scripts call: the FID
    /// Inception (`pt_inception-2015-12-05`), images in [0, 1] bilinearly resized to 299 (`F.interpolate`, no
    /// antialiasing) and scaled to [−1, 1], 2048-d pool3 features. The default.
    case pytorchFID = "pytorch-fid"
    /// torchvision's ImageNet Inception-v3 (`inception_v3_google`), images in [−1, 1] bilinearly resized to 299, the
    /// mean of its last block: what some text-to-image papers report.
    case torchvision
    /// clean-fid's "clean" mode (GaParmar/clean-fid): the FID network on each channel resized with Pillow's
    /// bicubic filter in floats and scaled by `(x − 128) / 128`.
    case cleanFID = "clean-fid"

    /// The network the variant runs.
    public var network: InceptionV3.Variant { self == .torchvision ? .torchvision : .fid }
}
