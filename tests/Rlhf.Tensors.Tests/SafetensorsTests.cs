using System.Buffers.Binary;
using System.Text;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Tensors.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>[u64 LE header length][header][data], no padding: the raw layout, for hand-built files.</summary>
    private static byte[] Build(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var b = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }

    [Fact]
    public void SaveLoad_RoundTripsValuesShapesNamesAndMetadata()
    {
        var rng = new Rng(7);
        var w = Tensor.Randn(rng, 1f, 3, 5, 7);
        var b = Tensor.Randn(rng, 1f, 4);
        var baseMatrix = Tensor.Randn(rng, 1f, 3, 4);
        var transposed = Ops.Transpose(baseMatrix, 0, 1); // (4, 3) non-contiguous view
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = w, ["b"] = b, ["scalar"] = Tensor.Scalar(-2.5f), ["empty"] = Tensor.Zeros(0, 4),
            ["t"] = transposed, ["h.0.attn.c_attn.weight"] = Tensor.Full(float.NaN, 2),
        };
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"quoted\" <&>" };
        string path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, tensors, meta);

        var file = Safetensors.Load(path);
        Assert.Equal(path, file.Source);
        // written (and so listed) in ordinal name order
        Assert.Equal(["b", "empty", "h.0.attn.c_attn.weight", "scalar", "t", "w"], file.Tensors.Keys.ToArray());
        foreach (var (name, t) in tensors)
        {
            var loaded = file.Get(name);
            Assert.Equal(name, loaded.Name);
            Assert.Equal(t.ShapeArray(), loaded.ShapeArray());
            Assert.Equal(t.ToArray(), loaded.ToArray()); // bit-exact (NaN compares equal in Assert.Equal)
        }
        Assert.Equal([4, 3], file.Get("t").ShapeArray());
        Assert.Equal(baseMatrix[2, 1], file.Get("t")[1, 2]);
        Assert.Empty(file.Get("scalar").ShapeArray());
        Assert.Equal(meta, file.Metadata);
        Assert.Throws<SafetensorsFormatException>(() => file.Get("missing"));
    }

    [Fact]
    public void Serialize_MatchesHandBuiltLayout()
    {
        var tensors = new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray([1f, -2f], 2), ["a"] = Tensor.Scalar(0.5f) };
        var bytes = Safetensors.Serialize(tensors, new Dictionary<string, string> { ["k"] = "v" });

        const string json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        int padded = (json.Length + 7) / 8 * 8; // 132 bytes of JSON → 136 with 4 spaces
        Assert.Equal(136, padded);
        var expected = Build(json + new string(' ', padded - json.Length), Floats(0.5f, 1f, -2f));
        Assert.Equal(expected, bytes);
        Assert.Equal(0, (8 + padded) % 8); // data buffer 8-byte aligned
    }

    [Fact]
    public void Serialize_WithoutMetadata_OmitsMetadataKey()
    {
        var bytes = Safetensors.Serialize(new Dictionary<string, Tensor> { ["x"] = Tensor.Scalar(1f) });
        string header = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal("""{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", header.TrimEnd(' '));
        Assert.Empty(Safetensors.Read(bytes).Metadata);
    }

    [Fact]
    public void Read_ConvertsF16Bf16AndF64()
    {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 (max half) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001
        // BF16 (upper half of a float32): 1.0 = 0x3F80, -2.0 = 0xC000, 0x4049 → 0x40490000 = 3.140625, +inf = 0x7F80
        ushort[] f16 = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x0000];
        ushort[] bf16 = [0x3F80, 0xC000, 0x4049, 0x7F80];
        double[] f64 = [0.1, -1e300];
        var data = new List<byte>();
        foreach (var h in f16) data.AddRange(BitConverter.GetBytes(h)); // bytes 0..12
        foreach (var h in bf16) data.AddRange(BitConverter.GetBytes(h)); // 12..20
        foreach (var d in f64) data.AddRange(BitConverter.GetBytes(d)); // 20..36
        Assert.True(BitConverter.IsLittleEndian);
        string header = """
            {"h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},
             "bf":{"dtype":"BF16","shape":[4],"data_offsets":[12,20]},
             "d":{"dtype":"F64","shape":[2,1],"data_offsets":[20,36]}}
            """;
        var file = Safetensors.Read(Build(header, [.. data]), "hand.safetensors");
        Assert.Equal(["h", "bf", "d"], file.Tensors.Keys.ToArray()); // header order
        Assert.Equal([2, 3], file.Get("h").ShapeArray());
        Assert.Equal([1f, -2f, 0.5f, 65504f, MathF.Pow(2, -24), 0f], file.Get("h").ToArray());
        Assert.Equal([1f, -2f, 3.140625f, float.PositiveInfinity], file.Get("bf").ToArray());
        Assert.Equal([0.1f, float.NegativeInfinity], file.Get("d").ToArray()); // -1e300 overflows float
    }

    [Fact]
    public void Read_LargeF16Tensor_ConvertsAcrossChunks()
    {
        // 70000 halves = 140000 bytes: more than one 64 KiB conversion chunk, with a partial last chunk
        int n = 70_000;
        var data = new byte[2 * n];
        for (int i = 0; i < n; i++) BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2 * i), (Half)(i % 2048));
        var file = Safetensors.Read(Build($$$"""{"x":{"dtype":"F16","shape":[{{{n}}}],"data_offsets":[0,{{{2 * n}}}]}}""", data));
        var x = file.Get("x").ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(i % 2048, x[i]);
    }

    public static TheoryData<string, string> MalformedHeaders => new()
    {
        { "not json", "not valid JSON" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", "not valid JSON" },
        { "[1, 2]", "must be a JSON object" },
        { """{"x":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'x': missing 'dtype'" },
        { """{"x":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'x': missing 'shape'" },
        { """{"x":{"dtype":"F32","shape":[1]}}""", "tensor 'x': missing 'data_offsets'" },
        { """{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", "unsupported dtype 'I64'" },
        { """{"x":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}""", "'dtype' must be a string" },
        { """{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "negative dimension -1" },
        { """{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "is not an integer" },
        { """{"x":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}""", "is not an integer" },
        { """{"x":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,4]}}""", "more elements" },
        { """{"x":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}""", "'shape' must be an array" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "[begin, end]" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", "non-negative integers" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "end before they begin" },
        { """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "needs 8" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "'x' appears twice" },
        { """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "overlap tensor 'x'" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "4-byte gap" },
        { """{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", "run past the 8-byte data buffer" },
        { """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "data buffer is 8 bytes but the tensors cover 4" },
        { """{"__metadata__":{"k":1},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "metadata value 'k' must be a string" },
        { """{"__metadata__":[],"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "'__metadata__' must be an object" },
        { """{"x":[1]}""", "entry must be an object" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Read_MalformedHeader_ThrowsNamingFileAndProblem(string header, string expected)
    {
        var bytes = Build(header, new byte[8]); // every case sits on an 8-byte data buffer
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(bytes, "bad.safetensors"));
        Assert.Contains("bad.safetensors", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Read_TruncatedOrAbsurdLengths_Throw()
    {
        for (int n = 0; n < 8; n++)
            Assert.Contains("too short", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(new byte[n], "f")).Message);

        var tooLong = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(tooLong, 9); // 9 > the 8 bytes after the prefix
        Assert.Contains("larger than the 8 bytes", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(tooLong, "f")).Message);

        var absurd = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(absurd, ulong.MaxValue);
        Assert.Contains("exceeds", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(absurd, "f")).Message);

        var badUtf8 = Build("{\"x\":1}", []);
        badUtf8[10] = 0xFF;
        Assert.Contains("UTF-8", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(badUtf8, "f")).Message);
    }

    [Fact]
    public void Read_EveryTruncationAndRandomCorruption_FailsCleanly()
    {
        var good = Safetensors.Serialize(new Dictionary<string, Tensor>
        {
            ["a"] = Tensor.FromArray([1f, 2f, 3f], 3), ["b"] = Tensor.Zeros(2, 2),
        }, new Dictionary<string, string> { ["k"] = "v" });
        for (int n = 0; n < good.Length; n++)
            Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(good[..n], "cut"));

        // flipped bytes: either still a valid file (e.g. a flip inside the data) or a SafetensorsFormatException, never another exception
        var rng = new Rng(3);
        for (int trial = 0; trial < 2000; trial++)
        {
            var bad = (byte[])good.Clone();
            for (int k = 0; k <= trial % 3; k++) bad[rng.NextInt(bad.Length)] = (byte)rng.NextInt(256);
            try { Safetensors.Read(bad, "flip"); }
            catch (SafetensorsFormatException) { }
        }
    }

    [Fact]
    public void Load_ErrorMessageNamesThePath()
    {
        string path = Path.Combine(_dir, "broken.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public void Save_OverwritesAtomicallyAndLeavesNoTempFiles()
    {
        string path = Path.Combine(_dir, "ckpt.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Full(1f, 3) });
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Full(2f, 5) });
        Assert.Equal([2f, 2f, 2f, 2f, 2f], Safetensors.Load(path).Get("x").ToArray());
        Assert.Equal(["ckpt.safetensors"], Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).ToArray());

        // a rejected save never touches the existing file
        var bad = new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Scalar(0f) };
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, bad));
        Assert.Equal(5, Safetensors.Load(path).Get("x").Size);
        Assert.Single(Directory.GetFiles(_dir));

        // a failing write (directory missing) leaves nothing behind
        string missingDir = Path.Combine(_dir, "nope", "x.safetensors");
        Assert.ThrowsAny<IOException>(() => Safetensors.Save(missingDir, new Dictionary<string, Tensor> { ["x"] = Tensor.Scalar(1f) }));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Read_FromNonSeekableStream_Works()
    {
        var bytes = Safetensors.Serialize(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray([4f, 5f], 2) });
        using var pipe = new NonSeekable(bytes);
        Assert.Equal([4f, 5f], Safetensors.Read(pipe, "pipe").Get("x").ToArray());
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
