# Sourced by the *-vs-peer.sh scripts (run from the repository root): makes sure the PyTorch peer is installed and
# builds our CLI. Sets: py (Debian's python3 with torch linked to OpenBLAS; a pyenv/venv python3 on PATH would not
# have it) and rlhf (the command array that runs our Release CLI).
py=/usr/bin/python3
if ! "$py" -c "import torch" 2>/dev/null; then
  echo "installing the PyTorch peer (python3-torch, OpenBLAS) with apt-get..." >&2
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y python3-torch python3-numpy libopenblas0-pthread
fi

echo "building rlhf (Release)..." >&2
dotnet build src/Rlhf.Cli -c Release --nologo -v quiet
rlhf=(dotnet src/Rlhf.Cli/bin/Release/net10.0/rlhf.dll)
mkdir -p benchmarks/results
