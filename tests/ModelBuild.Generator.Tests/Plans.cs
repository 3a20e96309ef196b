namespace ModelBuild.Generator.Tests;

/// <summary>Small hand-written plans (CONTRACTS §1) covering every op kind between them.</summary>
internal static class Plans
{
    /// <summary>Dense relu (int8 weights) → Dense → Softmax, dynamic batch.</summary>
    public const string Mlp = """
        mbplan 1
        # a comment line
        class MlpModel
        namespace Tests.Models
        source "mlp.onnx"
        resource "Tests.Models.MlpModel.weights.mbw"
        info originalBytes=1000 embeddedBytes=400 passes="quantize(int8,per-channel,symmetric), fold"
        batch dynamic "batch_size"
        arena perSample=18 scratch=0
        buffer 0 offset=0 size=4
        buffer 1 offset=4 size=8
        buffer 2 offset=12 size=3
        buffer 3 offset=15 size=3
        weight 0 name="fc1.weight" format=int8 dims=8,4
        weight 1 name="fc1.bias" format=float32 dims=8
        weight 2 name="fc2.weight" format=float32 dims=3,8
        weight 3 name="fc2.bias" format=float32 dims=3
        input 0 name="input" buffer=0 shape=N,4 doc="Four features."
        output 0 name="probabilities" buffer=3 shape=N,3 doc="Class probabilities."
        op Dense node="/fc1/Gemm" in=0 out=1 weight=0 bias=1 rows=1 k=4 n=8 act=relu
        op Dense node="/fc2/Gemm" in=1 out=2 weight=2 bias=3 rows=1 k=8 n=3 act=none
        op Softmax node="/softmax" in=2 out=3 outer=1 axis=3 inner=1
        end

        """;

    /// <summary>Conv 3x3 pad 1 relu (int8) → MaxPool 2x2 → Dense without bias, dynamic batch.</summary>
    public const string Conv = """
        mbplan 1
        class ConvModel
        namespace Tests.Models
        source "conv.onnx"
        resource "conv.mbw"
        info originalBytes=500 embeddedBytes=200 passes=""
        batch dynamic "N"
        arena perSample=130 scratch=324
        buffer 0 offset=0 size=36
        buffer 1 offset=36 size=72
        buffer 2 offset=108 size=18
        buffer 3 offset=126 size=4
        weight 0 name="conv.weight" format=int8 dims=2,1,3,3
        weight 1 name="conv.bias" format=float32 dims=2
        weight 2 name="fc.weight" format=float32 dims=4,18
        input 0 name="image" buffer=0 shape=N,1,6,6 doc="A 6x6 grey image."
        output 0 name="logits" buffer=3 shape=N,4 doc=""
        op Conv node="/conv/Conv" in=0 out=1 weight=0 bias=1 c=1 h=6 w=6 oc=2 oh=6 ow=6 kh=3 kw=3 sh=1 sw=1 dh=1 dw=1 pt=1 pl=1 pb=1 pr=1 group=1 act=relu
        op MaxPool node="/pool/MaxPool" in=1 out=2 c=2 h=6 w=6 oh=3 ow=3 kh=2 kw=2 sh=2 sw=2 dh=1 dw=1 pt=0 pl=0 pb=0 pr=0
        op Dense node="/fc/Gemm" in=2 out=3 weight=2 bias=-1 rows=1 k=18 n=4 act=none
        end

        """;

    /// <summary>Binary (weight and buffer operands, broadcasting) → Transpose → Concat → Unary in place → Copy.</summary>
    public const string Layout = """
        mbplan 1
        class LayoutModel
        namespace
        source "layout.onnx"
        resource "layout.mbw"
        info originalBytes=10 embeddedBytes=10 passes=""
        batch dynamic "batch"
        arena perSample=42 scratch=0
        buffer 0 offset=0 size=6
        buffer 1 offset=6 size=6
        buffer 2 offset=12 size=6
        buffer 3 offset=18 size=6
        buffer 4 offset=24 size=12
        buffer 5 offset=36 size=6
        weight 0 name="bias" format=float32 dims=1,3
        weight 1 name="scale" format=float32 dims=3,1
        input 0 name="x" buffer=0 shape=N,2,3 doc="x"
        output 0 name="y" buffer=4 shape=N,3,4 doc="y"
        op Binary node="add" fn=Add a=b0 b=w0 out=1 rank=2 shapeA=2,3 shapeB=1,3 shapeOut=2,3
        op Transpose node="transpose" in=1 out=2 shape=2,3 perm=1,0
        op Binary node="mul" fn=Mul a=w1 b=b2 out=3 rank=2 shapeA=3,1 shapeB=3,2 shapeOut=3,2
        op Binary node="sub" fn=Sub a=b3 b=b2 out=5 rank=2 shapeA=3,2 shapeB=3,2 shapeOut=3,2
        op Concat node="concat" ins=2,5 out=4 outer=3 inner=1 sizes=2,2
        op Unary node="sigmoid" fn=Sigmoid in=4 out=4 count=12 alpha=0 beta=0
        end

        """;

    /// <summary>Fixed batch of 2: ChannelAffine → AveragePool (pads) → GlobalAveragePool → Dense → Clip(-inf, 0.75) → Copy.</summary>
    public const string Fixed = """
        mbplan 1
        class FixedModel
        namespace Tests.Models
        source "fixed.onnx"
        resource "fixed.mbw"
        info originalBytes=10 embeddedBytes=10 passes=""
        batch fixed 2
        arena perSample=62 scratch=0
        buffer 0 offset=0 size=18
        buffer 1 offset=18 size=18
        buffer 2 offset=36 size=2
        buffer 3 offset=38 size=3
        buffer 4 offset=41 size=3
        buffer 5 offset=44 size=18
        weight 0 name="bn.scale" format=float32 dims=2
        weight 1 name="bn.bias" format=float32 dims=2
        weight 2 name="fc.weight" format=float32 dims=3,2
        weight 3 name="fc.bias" format=float32 dims=3
        input 0 name="x" buffer=0 shape=2,2,3,3 doc=""
        output 0 name="y" buffer=4 shape=2,3 doc=""
        op ChannelAffine node="bn" in=0 out=1 c=2 hw=9 scale=0 bias=1
        op AveragePool node="pool" in=1 out=5 c=2 h=3 w=3 oh=3 ow=3 kh=2 kw=2 sh=1 sw=1 dh=1 dw=1 pt=1 pl=1 pb=0 pr=0 countIncludePad=0
        op GlobalAveragePool node="gap" in=5 out=2 c=2 hw=9
        op Dense node="fc" in=2 out=3 weight=2 bias=3 rows=1 k=2 n=3 act=none
        op Unary node="clip" fn=Clip in=3 out=3 count=3 alpha=-inf beta=0.75
        op Copy node="identity" in=3 out=4 count=3
        end

        """;

    /// <summary>Two inputs (concatenated), two outputs (logits and their softmax); awkward ONNX names.</summary>
    public const string TwoInTwoOut = """
        mbplan 1
        class PairModel
        namespace Tests.Models
        source "pair.onnx"
        resource "pair.mbw"
        info originalBytes=10 embeddedBytes=10 passes=""
        batch dynamic "batch"
        arena perSample=16 scratch=0
        buffer 0 offset=0 size=3
        buffer 1 offset=3 size=2
        buffer 2 offset=5 size=5
        buffer 3 offset=10 size=2
        buffer 4 offset=12 size=2
        buffer 5 offset=14 size=2
        weight 0 name="fc1.weight" format=float32 dims=2,5
        weight 1 name="fc2.weight" format=float32 dims=2,2
        input 0 name="image.features" buffer=0 shape=N,3 doc="features"
        input 1 name="meta::data" buffer=1 shape=N,2 doc="metadata"
        output 0 name="logits" buffer=4 shape=N,2 doc="raw scores"
        output 1 name="class" buffer=5 shape=N,2 doc="probabilities"
        op Concat node="concat" ins=0,1 out=2 outer=1 inner=1 sizes=3,2
        op Dense node="fc1" in=2 out=3 weight=0 bias=-1 rows=1 k=5 n=2 act=relu
        op Dense node="fc2" in=3 out=4 weight=1 rows=1 k=2 n=2 act=none
        op Softmax node="softmax" in=4 out=5 outer=1 axis=2 inner=1
        end

        """;
}
