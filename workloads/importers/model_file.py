"""placeholder"""
def load_model_file(*a, **k):
    raise NotImplementedError
