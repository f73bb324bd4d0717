def greeting(name):
    return f"hello {name} from the layer"
