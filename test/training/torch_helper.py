# PyTorch side of test/training/torch-format.test.ts: loads files with weights_only=True and describes them
# bit-exactly as JSON, and writes reference files with torch.save (plus deflated and zip64 copies).
import collections, json, os, sys, zipfile
import torch

INT_OF_SIZE = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def describe(x):
    if isinstance(x, torch.Tensor):
        c = x.detach().contiguous().flatten()
        raw = c.view(INT_OF_SIZE[c.element_size()]).numpy().tobytes() if c.numel() else b''
        return {'tensor': str(x.dtype).replace('torch.', ''), 'shape': list(x.shape), 'hex': raw.hex()}
    if isinstance(x, collections.OrderedDict):
        d = {'odict': [[k, describe(v)] for k, v in x.items()]}
        if hasattr(x, '_metadata'):
            d['meta'] = describe(x._metadata)
        return d
    if isinstance(x, dict):
        return {'dict': [[k, describe(v)] for k, v in x.items()]}
    if isinstance(x, list):
        return {'list': [describe(v) for v in x]}
    if isinstance(x, tuple):
        return {'tuple': [describe(v) for v in x]}
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return {'int': str(x)}
    if isinstance(x, float):
        return {'float': repr(x)}
    raise TypeError(f'cannot describe {type(x)}')


def load(path):
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            raise RuntimeError(f'CRC error in {bad}')
    return describe(torch.load(path, weights_only=True))


def rezip(src, dst, **kw):
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, 'w', compression=kw.get('compression', zipfile.ZIP_STORED)) as b:
        for info in a.infolist():
            with b.open(info.filename, 'w', force_zip64=kw.get('zip64', False)) as out:
                out.write(a.read(info.filename))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(11, 8)
        self.lin = torch.nn.Linear(8, 5)
        self.norm = torch.nn.LayerNorm(5)
        self.register_buffer('steps', torch.tensor(7, dtype=torch.int64))


def make(folder):
    torch.manual_seed(0)
    x = torch.randn(3, 4)
    net = Net()
    files = {
        'tensor': torch.randn(2, 3, 4),
        'dict': {'f32': torch.randn(5), 'f16': torch.randn(2, 2).half(), 'i64': torch.tensor([-(2 ** 62), 0, 2 ** 62 + 1]),
                 'n': 3, 'name': 'layer', 'flag': True, 'none': None, 'list': [1, 2], 'tuple': (4, 'x')},
        'state_dict': net.state_dict(),
        'bf16_state_dict': {k: v.bfloat16() if v.is_floating_point() else v for k, v in net.state_dict().items()},
        'activation': torch.randn(2, 16, 64).bfloat16(),
        'views': [x.t(), x[1:], x[:, 1], x[1, 2], x.expand(2, 3, 4), torch.randn(4, 6)[::2, 1::3]],
        'parameter': torch.nn.Parameter(torch.randn(3)),
        'empty': {'e0': torch.zeros(0), 'e3': torch.zeros(2, 0, 3, dtype=torch.bfloat16), 'scalar': torch.tensor(2.5)},
    }
    out = {}
    for name, value in files.items():
        path = os.path.join(folder, f'{name}.pt')
        torch.save(value, path)
        out[name] = describe(value)
    rezip(os.path.join(folder, 'state_dict.pt'), os.path.join(folder, 'deflated.pt'), compression=zipfile.ZIP_DEFLATED)
    rezip(os.path.join(folder, 'dict.pt'), os.path.join(folder, 'zip64.pt'), zip64=True)
    out['deflated'] = out['state_dict']
    out['zip64'] = out['dict']
    return out


def halves(values):
    t = torch.tensor([float(v) for v in values], dtype=torch.float32)
    return {'f16': t.half().view(torch.int16).tolist(), 'bf16': t.bfloat16().view(torch.int16).tolist(),
            'from_f16': [repr(v) for v in t.half().float().tolist()]}


if __name__ == '__main__':
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == 'load':
        print(json.dumps([load(p) for p in json.loads(arg)]))
    elif cmd == 'make':
        print(json.dumps(make(arg)))
    elif cmd == 'halves':
        print(json.dumps(halves(json.loads(arg))))
