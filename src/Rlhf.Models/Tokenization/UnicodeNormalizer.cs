using System.Runtime.InteropServices;
using System.Text;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// Unicode normalization (NFC, NFD, NFKC, NFKD) for tokenizer.json normalizers. This project runs with
/// <c>InvariantGlobalization</c> (Directory.Build.props), where <see cref="string.Normalize(NormalizationForm)"/>
/// returns non-ASCII text unchanged, so the normalizer calls ICU's <c>unorm2_normalize</c> itself: the same
/// libicuuc that .NET uses when globalization is on (Debian package libicu72, a dependency of the .NET runtime),
/// found by probing the versioned library names as .NET does. Where string.Normalize works (globalization on) it is
/// used. Text that no normalization form can change (NFC: every char below U+0300; the others: ASCII) is returned
/// as it is without a call.
/// </summary>
internal static unsafe class UnicodeNormalizer
{
    private const int BufferOverflowError = 15;   // U_BUFFER_OVERFLOW_ERROR

    private static readonly bool ManagedWorks = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";
    private static readonly Lazy<Icu> IcuLibrary = new(Icu.Load);

    /// <summary><paramref name="text"/> in normalization form <paramref name="form"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">Globalization is invariant and ICU (libicuuc) is not installed.</exception>
    public static string Normalize(string text, NormalizationForm form)
    {
        char limit = form == NormalizationForm.FormC ? '\u0300' : '\u0080';
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', (char)(limit - 1))) return text;
        if (ManagedWorks) return text.Normalize(form);
        return IcuLibrary.Value.Normalize(text, form);
    }

    private sealed class Icu
    {
        private readonly delegate* unmanaged<int*, nint>[] _instances = new delegate* unmanaged<int*, nint>[4];
        private readonly delegate* unmanaged<nint, char*, int, char*, int, int*, int> _normalize;

        private Icu(nint lib, string suffix)
        {
            string[] names = ["unorm2_getNFCInstance", "unorm2_getNFDInstance", "unorm2_getNFKCInstance", "unorm2_getNFKDInstance"];
            for (int i = 0; i < names.Length; i++)
                _instances[i] = (delegate* unmanaged<int*, nint>)NativeLibrary.GetExport(lib, names[i] + suffix);
            _normalize = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)NativeLibrary.GetExport(lib, "unorm2_normalize" + suffix);
        }

        public static Icu Load()
        {
            for (int version = 90; version >= 50; version--)
                if (NativeLibrary.TryLoad($"libicuuc.so.{version}", out nint lib))
                {
                    if (NativeLibrary.TryGetExport(lib, $"unorm2_normalize_{version}", out _)) return new Icu(lib, $"_{version}");
                    if (NativeLibrary.TryGetExport(lib, "unorm2_normalize", out _)) return new Icu(lib, "");
                }
            throw new PlatformNotSupportedException(
                "Unicode normalization (the tokenizer's normalizer) needs ICU: install libicu (e.g. apt-get install libicu72)");
        }

        public string Normalize(string text, NormalizationForm form)
        {
            int which = form switch
            {
                NormalizationForm.FormC => 0,
                NormalizationForm.FormD => 1,
                NormalizationForm.FormKC => 2,
                NormalizationForm.FormKD => 3,
                _ => throw new ArgumentOutOfRangeException(nameof(form)),
            };
            int error = 0;
            nint normalizer = _instances[which](&error);
            if (error > 0) throw new InvalidOperationException($"ICU unorm2_get{form}Instance failed with error {error}");
            int capacity = text.Length * 3 + 16;      // NFKD of one char is at most 18 chars; grown below if needed
            while (true)
            {
                char[] buffer = new char[capacity];
                error = 0;
                int length;
                fixed (char* src = text)
                fixed (char* dst = buffer)
                    length = _normalize(normalizer, src, text.Length, dst, capacity, &error);
                if (error == BufferOverflowError) { capacity = length + 1; continue; }
                if (error > 0) throw new InvalidOperationException($"ICU unorm2_normalize failed with error {error}");
                return new string(buffer, 0, length);
            }
        }
    }
}
