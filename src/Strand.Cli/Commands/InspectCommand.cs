using Strand.Binary;
using Strand.Text;
using Strand.Threads;
using Strand.Tools;

namespace Strand.Cli.Commands;

/// <summary><c>strand inspect FILE [--svg OUT]</c>: layout and thread-safety facts of a module.</summary>
public static class InspectCommand
{
    public static int Execute(ArgumentReader args)
    {
        string? svgPath = args.TakeOption("--svg");
        args.EnsureNoOptionsLeft();
        if (args.Remaining.Count != 1) throw new UsageException("inspect needs exactly one FILE");
        string file = args.Remaining[0];
        if (!File.Exists(file)) throw new UsageException($"no such file: {file}");

        ModuleDefinition module;
        try
        {
            byte[] bytes = File.ReadAllBytes(file);
            bool isBinary = bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == (byte)'a' && bytes[2] == (byte)'s' && bytes[3] == (byte)'m';
            if (!isBinary) bytes = WatParser.ParseModule(System.Text.Encoding.UTF8.GetString(bytes));
            module = ModuleDecoder.Decode(bytes);
        }
        catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException or WatParseException)
        {
            Console.Error.WriteLine($"strand: {file}: {e.Message}");
            return 1;
        }

        var layout = ModuleLayout.Analyze(module);
        Console.Out.Write(ModuleInspector.Render(layout, module));
        if (svgPath is not null)
        {
            File.WriteAllText(svgPath, ModuleInspector.RenderSvg(layout));
            Console.Out.WriteLine($"memory map written to {svgPath}");
        }
        return 0;
    }
}
