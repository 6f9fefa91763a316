import CFFTW
import CJPEG
import CLAPACKE
import COpenBLAS
import CPNG
import CSndfile
import CTensorSupport
import Testing

/// Each system library links and answers a call with a known result.
@Suite struct LinkTests {
    @Test func openBLASMultiplies() {
        var a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8], c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, &a, 2, &b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }

    @Test func lapackeSolves() {
        // [[2, 1], [1, 3]] x = [3, 5] → x = [0.8, 1.4]
        var a: [Double] = [2, 1, 1, 3], b: [Double] = [3, 5], pivots: [Int32] = [0, 0]
        let info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, 2, 1, &a, 2, &pivots, &b, 1)
        #expect(info == 0)
        #expect(abs(b[0] - 0.8) < 1e-12 && abs(b[1] - 1.4) < 1e-12)
    }

    @Test func fftwTransforms() throws {
        // The DFT of [1, 0, 0, 0] is all ones.
        let input = fftwf_alloc_real(4)!, output = fftwf_alloc_complex(3)!
        defer { fftwf_free(input); fftwf_free(output) }
        let plan = try #require(fftwf_plan_dft_r2c_1d(4, input, output, UInt32(FFTW_ESTIMATE)))
        defer { fftwf_destroy_plan(plan) }
        for i in 0..<4 { input[i] = i == 0 ? 1 : 0 }
        fftwf_execute(plan)
        for k in 0..<3 { #expect(output[k].0 == 1 && output[k].1 == 0) }
    }

    @Test func sndfileReportsItsVersion() {
        let version = String(cString: sf_version_string())
        #expect(version.hasPrefix("libsndfile"))
    }

    @Test func libjpegCreatesADecompressor() {
        var info = jpeg_decompress_struct()
        var errors = jpeg_error_mgr()
        info.err = jpeg_std_error(&errors)
        jpeg_CreateDecompress(&info, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
        #expect(info.global_state != 0)
        jpeg_destroy_decompress(&info)
    }

    @Test func libpngReportsItsVersion() {
        let version = String(cString: png_get_libpng_ver(nil))
        #expect(version.hasPrefix("1.6"))
    }

    @Test func cpuDetectionAnswers() {
        let supported = s2_cpu_supports_avx512_skylakex()
        #expect(supported == 0 || supported == 1)
    }
}
