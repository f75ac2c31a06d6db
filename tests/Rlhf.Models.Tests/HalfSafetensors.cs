using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Tests;

/// <summary>Test helper: rewrites an F32 safetensors file with every tensor rounded to BF16 or F16, as a half-precision HF checkpoint stores it.</summary>
public static class HalfSafetensors
{
    /// <summary>The value the half format stores for <paramref name="x"/>, back in float (round to nearest even).</summary>
    public static float Round(float x, string dtype) => dtype == "F16" ? (float)(Half)x : FromBf16(ToBf16(x));

    private static ushort ToBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint rounding = 0x7FFF + ((bits >> 16) & 1); // round to nearest even
        return (ushort)((bits + rounding) >> 16);
    }

    private static float FromBf16(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

    public static void Write(string f32Path, string outPath, string dtype)
    {
        var file = Safetensors.Load(f32Path);
        var header = new JsonObject();
        var data = new MemoryStream();
        foreach (var (name, t) in file.Tensors)
        {
            long begin = data.Length;
            foreach (float v in t.ToArray())
            {
                ushort bits = dtype == "F16" ? BitConverter.HalfToUInt16Bits((Half)v) : ToBf16(v);
                data.WriteByte((byte)bits);
                data.WriteByte((byte)(bits >> 8));
            }
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var fs = File.Create(outPath);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
        fs.Write(len);
        fs.Write(headerBytes);
        data.Position = 0;
        data.CopyTo(fs);
    }
}
