import S2IGANTensor

/// A pixel rectangle: `left`, `top` inclusive, `right`, `bottom` exclusive (Pillow's crop box).
public struct CropBox: Sendable, Equatable, CustomStringConvertible {
    public var left, top, right, bottom: Int
    public init(left: Int, top: Int, right: Int, bottom: Int) {
        (self.left, self.top, self.right, self.bottom) = (left, top, right, bottom)
    }
    public var width: Int { right - left }
    public var height: Int { bottom - top }
    public var description: String { "(\(left), \(top), \(right), \(bottom))" }
}

/// A bounding box `(x, y, width, height)` in pixels, as CUB-200-2011's `bounding_boxes.txt` lists them.
public struct BoundingBox: Sendable, Equatable {
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }

    /// The reference's crop around the box for an image of `imageWidth × imageHeight`: a square of half-side
    /// `Int(max(w, h) · 0.75)` centred on the box, cut at the image border (so not always square).
    public func referenceCrop(imageWidth: Int, imageHeight: Int) -> CropBox {
        let r = Int(Double(max(width, height)) * 0.75)
        let cx = Int(Double(2 * x + width) / 2), cy = Int(Double(2 * y + height) / 2)
        return CropBox(left: max(0, cx - r), top: max(0, cy - r), right: min(imageWidth, cx + r), bottom: min(imageHeight, cy + r))
    }
}

extension RGBImage {
    /// The part of the image inside `box`, as `PIL.Image.crop`: parts of the box outside the image are black.
    /// - Throws: if the box is empty.
    public func cropped(to box: CropBox) throws -> RGBImage {
        guard box.width > 0, box.height > 0 else { throw VisionError.invalidSetting("crop: empty box \(box)") }
        var out = [UInt8](repeating: 0, count: box.width * box.height * 3)
        let x0 = max(box.left, 0), x1 = min(box.right, width)
        if x0 < x1 {
            for y in max(box.top, 0)..<max(max(box.top, 0), min(box.bottom, height)) {
                let from = (y * width + x0) * 3, to = ((y - box.top) * box.width + (x0 - box.left)) * 3
                out.withUnsafeMutableBufferPointer { dst in
                    pixels.withUnsafeBufferPointer { src in
                        (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: (x1 - x0) * 3)
                    }
                }
            }
        }
        return RGBImage(checkedWidth: box.width, height: box.height, pixels: out)
    }

    /// The centre `width × height` part, as torchvision's `CenterCrop`: offsets `round((W − w) / 2)` with
    /// Python's round-half-to-even; an image smaller than the crop is first padded with black on both sides.
    public func centerCropped(width w: Int, height h: Int) throws -> RGBImage {
        guard w > 0, h > 0 else { throw VisionError.invalidSetting("center crop: size must be positive, got \(w)×\(h)") }
        var image = self
        if w > width || h > height {
            // torchvision pads (left, top) = ((w − W) / 2, (h − H) / 2) rounded down, the rest on the far side.
            let padLeft = max(0, (w - width) / 2), padTop = max(0, (h - height) / 2)
            let padded = CropBox(left: -padLeft, top: -padTop, right: max(w, width) - padLeft, bottom: max(h, height) - padTop)
            image = try cropped(to: padded)
            if image.width == w && image.height == h { return image }
        }
        let left = Int((Double(image.width - w) / 2).rounded(.toNearestOrEven))
        let top = Int((Double(image.height - h) / 2).rounded(.toNearestOrEven))
        return try image.cropped(to: CropBox(left: left, top: top, right: left + w, bottom: top + h))
    }

    /// A uniformly placed `width × height` part (torchvision's `RandomCrop` without padding).
    /// - Throws: if the image is smaller than the crop.
    public func randomlyCropped(width w: Int, height h: Int, using rng: inout RandomGenerator) throws -> RGBImage {
        guard w > 0, h > 0, w <= width, h <= height else {
            throw VisionError.invalidSetting("random crop: cannot take \(w)×\(h) from a \(width)×\(height) image")
        }
        let top = rng.nextInt(below: height - h + 1), left = rng.nextInt(below: width - w + 1)
        return try cropped(to: CropBox(left: left, top: top, right: left + w, bottom: top + h))
    }

    /// Mirrored left to right.
    public func horizontallyFlipped() -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
            let row = y * width
            for x in 0..<width {
                let from = (row + x) * 3, to = (row + width - 1 - x) * 3
                out[to] = pixels[from]; out[to + 1] = pixels[from + 1]; out[to + 2] = pixels[from + 2]
            }
        }
        return RGBImage(checkedWidth: width, height: height, pixels: out)
    }
}
