import Foundation
import S2IGANTraining

/// Everything one ``SENTrainingStep`` iteration computed, under the names of the reference's
/// `steps/pre_traintest.py` loop: the two directions of `batch_loss` (`loss0`, `loss1`), the classifier's two
/// cross-entropies, the total the optimiser stepped on, and the L2 norm of every parameter's gradient at that step
/// (networks `audio`, `image`, `class`, as the reference's `best_*_model.pth` files name them). `sen step --dump`
/// writes it.
public final class SENStepTrace: Codable {
    /// `loss0`: each image against every caption.
    public var imageToSpeech: Float = 0
    /// `loss1`: each caption against every image.
    public var speechToImage: Float = 0
    /// `criterion_c(image_class_output, label)`; absent without a classifier.
    public var imageClass: Float?
    /// `criterion_c(audio_class_output, label)`; absent without a classifier.
    public var speechClass: Float?
    public var total: Float = 0
    public var gradientNorms: [GradientNorm] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case imageToSpeech = "loss0_image_to_speech", speechToImage = "loss1_speech_to_image", imageClass = "image_class"
        case speechClass = "speech_class", total, gradientNorms = "gradient_norms"
    }
}
